"""The face-verification service (人脸核验) adapter: a short clip of the citizen doing the
actions the cloud asked for goes to the service, which judges liveness and compares the face
with the ID photo on record; no recognition runs on the kiosk or here (docs/kiosk-elderly.md).

One signed call (``simulators/face_verify.py`` documents the wire), bounded by
``face_verify_timeout_s``. The answer is a :class:`FaceAnswer` (``pass``, ``mismatch``,
``not_live``); every failure of the service is one of the :class:`FaceVerifyError` subclasses
with the citizen's sentence. The clip is only ever in memory here; nothing personal is logged.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Literal, Protocol

import httpx

from cloud.kiosk.errors import OutsideSystemError
from cloud.settings_elderly import ElderlySettings

log = logging.getLogger(__name__)
PATH = "/faceid/v1/liveness-compare"
PREFIX = "X-FV-"
Verdict = Literal["pass", "mismatch", "not_live"]
_VERDICTS: dict[str, Verdict] = {
    "Success": "pass",
    "FaceNotMatch": "mismatch",
    "LivenessFailed": "not_live",
}


@dataclass(frozen=True)
class FaceAnswer:
    verdict: Verdict
    #: the service's similarity to the ID photo, 0-100
    similarity: float


class FaceVerifier(Protocol):
    async def verify(
        self, id_number: str, name: str, clip: bytes, actions: list[str]
    ) -> FaceAnswer: ...

    async def close(self) -> None: ...


class FaceVerifyError(OutsideSystemError):
    code = "face_verify_error"


class FaceVerifyTimeout(FaceVerifyError):
    status_code = 504
    code = "face_verify_timeout"


class FaceVerifyUnavailable(FaceVerifyError):
    status_code = 503
    code = "face_verify_unavailable"


class FaceVerifyNotConfigured(FaceVerifyError):
    status_code = 503
    code = "face_verify_not_configured"


class FaceVerifyFailed(FaceVerifyError):
    """Our signature refused, or an answer that is not the documented shape."""

    status_code = 502
    code = "face_verify_failed"


class FaceClipRejected(FaceVerifyError):
    """The service could not use the clip (too short, not a video): record it again."""

    status_code = 422
    code = "face_clip_rejected"


_SYSTEM = "face_verify"
_TRY_LATER = (
    "人脸核验服务暂时无法使用，请稍后再试或到民政窗口办理认证。",
    "Face verification is not available right now. Please try later or ask at the civil "
    "affairs window.",
)


class HttpFaceVerifier:
    def __init__(self, settings: ElderlySettings) -> None:
        self._url = settings.face_verify_url.rstrip("/")
        self._app_id = settings.face_verify_app_id
        self._secret = settings.face_verify_secret.get_secret_value().encode()
        self.timeout_s = settings.face_verify_timeout_s
        self._client: httpx.AsyncClient | None = None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _headers(self, body: bytes) -> dict[str, str]:
        ts, nonce = str(int(time.time())), secrets.token_hex(16)
        head = ("\n".join(("POST", PATH, self._app_id, ts, nonce)) + "\n").encode()
        sig = hmac.new(self._secret, head + body, hashlib.sha256).hexdigest()
        return {
            PREFIX + "App-Id": self._app_id,
            PREFIX + "Timestamp": ts,
            PREFIX + "Nonce": nonce,
            PREFIX + "Signature": sig,
            "Content-Type": "application/json",
        }

    async def verify(
        self, id_number: str, name: str, clip: bytes, actions: list[str]
    ) -> FaceAnswer:
        if not self._url:
            raise FaceVerifyNotConfigured(_SYSTEM, "face_verify_url is not set", *_TRY_LATER)
        body = json.dumps(
            {
                "IdCard": id_number,
                "Name": name,
                "VideoBase64": base64.b64encode(clip).decode(),
                "ActionSequence": ",".join(actions),
                "RequestId": secrets.token_hex(8),
            },
            ensure_ascii=False,
        ).encode()
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False)
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout_s):
                r = await self._client.post(
                    self._url + PATH, content=body, headers=self._headers(body)
                )
        except (TimeoutError, httpx.TimeoutException):
            log.warning("face verification: no answer within %g s", self.timeout_s)
            raise FaceVerifyTimeout(
                _SYSTEM,
                f"no answer within {self.timeout_s:g} s",
                "人脸核验服务响应超时，请稍后重新认证。",
                "Face verification did not answer in time. Please try again shortly.",
            ) from None
        except httpx.HTTPError as err:
            log.warning("face verification unreachable: %s", type(err).__name__)
            raise FaceVerifyUnavailable(
                _SYSTEM, f"{type(err).__name__}: {err}", *_TRY_LATER
            ) from err
        answer = _read(r)
        log.info(
            "face verification: %s in %.0f ms", answer.verdict, (time.monotonic() - started) * 1000
        )
        return answer


def _read(r: httpx.Response) -> FaceAnswer:
    """The verdict, or the error the answer means."""
    if r.status_code == 503:
        raise FaceVerifyUnavailable(_SYSTEM, "maintenance (HTTP 503)", *_TRY_LATER)
    if r.status_code >= 400:
        raise FaceVerifyUnavailable(_SYSTEM, f"HTTP {r.status_code}", *_TRY_LATER)
    try:
        response = r.json()["Response"]
        error = response.get("Error")
        if error is None:
            return FaceAnswer(_VERDICTS[str(response["Result"])], float(response["Sim"]))
        code = str(error["Code"])
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise FaceVerifyFailed(
            _SYSTEM, f"unreadable answer: {type(err).__name__}", *_TRY_LATER
        ) from err
    if code.startswith("InvalidParameter.Video"):
        raise FaceClipRejected(
            _SYSTEM,
            code,
            "未能录制到清晰的视频，请正对摄像头，按提示重新认证。",
            "The video could not be used. Please face the camera and try again.",
        )
    if code.startswith("ResourceUnavailable"):
        raise FaceVerifyUnavailable(_SYSTEM, code, *_TRY_LATER)
    log.error("face verification refused our request: %s", code)  # a configuration matter
    raise FaceVerifyFailed(_SYSTEM, code, *_TRY_LATER)
