"""A simulated face-verification service (人脸核验: action liveness + comparison with the ID
photo on record), shaped like the cloud face-ID APIs provinces buy: one signed ``POST``, the
clip as base64, the action sequence the caller asked for, an answer wrapped in
``{"Response": {...}}``.

``POST /faceid/v1/liveness-compare`` with ``X-FV-App-Id``, ``X-FV-Timestamp`` (Unix s,
±300 s), ``X-FV-Nonce`` (never twice) and ``X-FV-Signature`` = hex HMAC-SHA256(secret,
``POST\\n/faceid/v1/liveness-compare\\nAPP_ID\\nTS\\nNONCE\\n`` + body); body ``{"IdCard",
"Name", "VideoBase64", "ActionSequence": "blink,mouth,left", "RequestId"}``.

Answers (HTTP 200): ``{"Response": {"Result": "Success", "Sim": 92.4, "Description",
"RequestId"}}``; a face that is not the ID photo's ``"Result": "FaceNotMatch"`` (Sim < 70); a
clip that fails liveness (the actions not done, a photo held up) ``"LivenessFailed"``; errors
``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}`` with ``AuthFailure.*`` (wrong
app, stale timestamp, bad signature, replayed nonce), ``InvalidParameter.VideoInvalid`` (not a
video with at least :data:`MIN_FRAMES` frames), ``InvalidParameter.MissingField``;
``ResourceUnavailable.Maintenance`` (HTTP 503) during maintenance.

The simulator cannot see faces: what it answers for a clip that decodes is :attr:`verdicts`
by ID number (``pass``, ``mismatch``, ``not_live``), else :attr:`default_verdict`. Faults:
``stall_s`` (a client timeout), ``maintenance``, ``malformed`` (an HTML gateway page).
:attr:`received` records each clip's ID number, actions and frame count; no clip is kept.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import json
import os
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from simulators.dept_common import MALFORMED_PAGE, hmac_signature, string_to_sign
from simulators.http_runner import stop_runner

Verdict = Literal["pass", "mismatch", "not_live"]
PATH = "/faceid/v1/liveness-compare"
PREFIX = "X-FV-"
MIN_FRAMES = 5
DEMO_APP_ID, DEMO_SECRET = "kfleet-demo-faceid", "sim-faceid-secret"
_RESULTS: dict[str, tuple[str, float, str]] = {
    "pass": ("Success", 92.4, "活体检测通过，与证件照比对一致"),
    "mismatch": ("FaceNotMatch", 41.7, "与证件照比对不一致"),
    "not_live": ("LivenessFailed", 0.0, "活体检测未通过：动作未完成或非真人"),
}


@dataclass(frozen=True)
class Received:
    id_number: str
    actions: list[str]
    frames: int


@dataclass
class FaceVerifySim:
    app_id: str = DEMO_APP_ID
    secret: str = DEMO_SECRET
    host: str = "127.0.0.1"
    port: int = 0
    url: str = ""
    default_verdict: Verdict = "pass"
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    stall_s: float = 0.0
    maintenance: bool = False
    malformed: bool = False
    received: list[Received] = field(default_factory=list)
    _nonces: set[str] = field(default_factory=set)
    _runner: web.AppRunner | None = None
    _closing: asyncio.Event = field(default_factory=asyncio.Event)

    async def __aenter__(self) -> FaceVerifySim:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post(PATH, self._verify)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{self.host}:{port}"

    async def stop(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await stop_runner(self._runner)
            self._runner = None

    async def _verify(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.stall_s > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.stall_s)
        if self.maintenance:
            return _error("ResourceUnavailable.Maintenance", "系统维护中", 503)
        refused = self._check_signature(request, body)
        if refused:
            return _error("AuthFailure." + refused[0], refused[1])
        if self.malformed:
            return web.Response(text=MALFORMED_PAGE, content_type="text/html")
        try:
            call = json.loads(body)
            id_number, name = str(call["IdCard"]).upper(), str(call["Name"])
            actions = [a for a in str(call["ActionSequence"]).split(",") if a]
            clip = base64.b64decode(str(call["VideoBase64"]), validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error):
            return _error("InvalidParameter.MissingField", "IdCard, Name, VideoBase64, ...")
        frames = await asyncio.to_thread(count_frames, clip)
        if frames < MIN_FRAMES or not actions or not name:
            return _error("InvalidParameter.VideoInvalid", f"{frames} frames decoded")
        self.received.append(Received(id_number, actions, frames))
        result, sim, description = _RESULTS[self.verdicts.get(id_number, self.default_verdict)]
        answer = {"Result": result, "Sim": sim, "Description": description}
        return web.json_response({"Response": {**answer, "RequestId": secrets.token_hex(8)}})

    def _check_signature(self, request: web.Request, body: bytes) -> tuple[str, str] | None:
        h = request.headers
        app_id, ts = h.get(PREFIX + "App-Id", ""), h.get(PREFIX + "Timestamp", "")
        nonce, sig = h.get(PREFIX + "Nonce", ""), h.get(PREFIX + "Signature", "")
        if app_id != self.app_id:
            return ("InvalidAppId", "unknown app id")
        if not ts.isdigit() or abs(int(ts) - time.time()) > 300:
            return ("RequestExpired", "stale timestamp")
        head = string_to_sign("POST", request.raw_path, app_id, ts, nonce)
        if not hmac.compare_digest(sig, hmac_signature(self.secret, head, body, "hex")):
            return ("SignatureFailure", "bad signature")
        if not nonce or nonce in self._nonces:
            return ("NonceReplayed", "replayed nonce")
        self._nonces.add(nonce)
        return None


def count_frames(clip: bytes) -> int:
    """How many frames OpenCV decodes from the clip (0: not a video). The clip is written to
    a private temporary file for the decoder and deleted at once."""
    import cv2

    fd, path = tempfile.mkstemp(suffix=".avi")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(clip)
        capture = cv2.VideoCapture(path)
        frames = 0
        while capture.isOpened():
            ok, _ = capture.read()
            if not ok:
                break
            frames += 1
        capture.release()
        return frames
    finally:
        os.unlink(path)


def _error(code: str, message: str, status: int = 200) -> web.Response:
    error: dict[str, Any] = {"Error": {"Code": code, "Message": message}}
    body = {"Response": {**error, "RequestId": secrets.token_hex(8)}}
    return web.json_response(body, status=status)
