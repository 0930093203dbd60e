"""The 高龄补贴 certification on the kiosk (``/kiosk/api/elderly/cert/...``,
docs/kiosk-elderly.md): the cloud's randomised actions for the card just read (the challenge
kept in the session), then a clip from this kiosk's camera sent with it. No face model runs
here. The clip is a 0600 file in the session's directory, deleted as soon as it is read into
the request (and by any clear); a clear while recording sends nothing.
"""

from __future__ import annotations

import base64
import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from edge_agent.drivers.video import VideoError
from edge_agent.kiosk import elderly_clip
from edge_agent.kiosk.elderly_card import NO_CARD, card_of
from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.relay import NO_STORE, error, relay

log = logging.getLogger(__name__)
CHALLENGE_KEY = "elderly.challenge"
#: the cloud answers within the face service's timeout; this bounds the whole relay
VERIFY_TIMEOUT_S = 40.0
_NO_CAMERA = (
    "本机摄像头暂时无法使用，请到民政窗口办理认证。",
    "This kiosk's camera is not working. Please certify at the civil affairs window.",
)


async def _start(parts: KioskParts) -> Response:
    card = card_of(parts)
    if card is None:
        return error(409, "no_card", *NO_CARD)
    parts.session.pop(CHALLENGE_KEY)
    who = {"id_number": card["id_number"], "name": card["name"]}
    r = await relay(parts, "POST", "/api/v1/kiosk/elderly/certifications", json=who)
    if r.status_code != 201:
        return r
    got = json.loads(bytes(r.body))
    parts.session.put(CHALLENGE_KEY, {**got, **who})
    out = {"actions": got["actions"], "seconds": got["seconds"]}
    return JSONResponse(out, status_code=201, headers=NO_STORE)


async def _record(parts: KioskParts) -> Response:
    held = parts.session.pop(CHALLENGE_KEY)
    if not isinstance(held, dict):
        return error(
            409, "no_challenge", "请重新开始认证。", "Please start the certification again."
        )
    camera = parts.peripheral("av_camera")
    if camera is None or not hasattr(camera, "read"):
        return error(503, "camera_missing", *_NO_CAMERA)
    session_id = parts.session.id
    with elderly_clip.clip_file(parts.session.temp_dir) as path:
        try:
            seconds = len(held["actions"]) * held["seconds"]
            await elderly_clip.record(camera, float(seconds), path)  # type: ignore[arg-type]
        except VideoError as err:
            log.warning("kiosk: face clip not recorded: %s", err.why)
            return error(503, "camera_failed", *_NO_CAMERA)
        if parts.session.id != session_id:  # cleared while recording: nobody's clip now
            return error(409, "no_challenge", "请重新开始认证。", "Please start again.")
        if not path.exists() or path.stat().st_size > elderly_clip.MAX_CLIP_BYTES:
            log.warning("kiosk: face clip not usable (missing or too large)")
            return error(503, "camera_failed", *_NO_CAMERA)
        clip = base64.b64encode(path.read_bytes()).decode()
    # the file is gone now; the clip is in memory only until the cloud answers
    body = {"challenge": held["challenge"], "id_number": held["id_number"],
            "name": held["name"], "clip": clip}  # fmt: skip
    return await relay(
        parts,
        "POST",
        "/api/v1/kiosk/elderly/certifications/verify",
        json=body,
        timeout_s=VERIFY_TIMEOUT_S,
    )


def routes(parts: KioskParts) -> list[BaseRoute]:
    async def start(request: Request) -> Response:
        return await _start(parts)

    async def record(request: Request) -> Response:
        return await _record(parts)

    return [
        Route("/kiosk/api/elderly/cert/start", start, methods=["POST"]),
        Route("/kiosk/api/elderly/cert/record", record, methods=["POST"]),
    ]
