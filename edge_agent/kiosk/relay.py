"""Passing a cloud answer on to the kiosk's browser, and saying plainly when there is none.

The browser receives the cloud's status and JSON body unchanged (the cloud's ``code`` and
``message`` are written to be shown). When the cloud cannot be reached the answer is a 503
``{"code": "cloud_unreachable", "message", "message_en"}``: the screen shows it and keeps
working with what it has offline (the service guide).
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import JSONResponse, Response

from edge_agent.kiosk.cloud_client import CloudUnreachable
from edge_agent.kiosk.parts import KioskParts

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}
UNREACHABLE_ZH = "暂时无法连接政务服务平台，请稍后再试，或到窗口办理。"
UNREACHABLE_EN = (
    "The government-service platform cannot be reached now. "
    "Please try again later or go to a window."
)


def error(status: int, code: str, message: str, message_en: str = "") -> JSONResponse:
    """An error the screen shows: ``message`` in Chinese, ``message_en`` in English."""
    body = {"code": code, "message": message, "message_en": message_en or message}
    return JSONResponse(body, status_code=status, headers=NO_STORE)


async def relay(
    parts: KioskParts,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: dict[str, Any] | None = None,
    timeout_s: float | None = None,
    content: bytes | None = None,
    content_type: str = "application/octet-stream",
) -> Response:
    """The cloud's answer to one call, as the browser should receive it."""
    try:
        r = await parts.cloud.call(
            method,
            path,
            json=json,
            params=params,
            timeout_s=timeout_s,
            content=content,
            content_type=content_type,
        )
    except CloudUnreachable as err:
        log.warning("kiosk: %s %s: %s", method, path, err)  # no body: it may be personal
        probe = parts.state.get("cloud_probe")
        if probe is not None:
            probe.mark_down()  # the screen's banner says so at its next status poll
        return error(503, "cloud_unreachable", UNREACHABLE_ZH, UNREACHABLE_EN)
    media = r.headers.get("content-type", "application/json")
    return Response(r.content, status_code=r.status_code, media_type=media, headers=NO_STORE)
