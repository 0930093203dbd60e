"""自助复印 on the kiosk (``/kiosk/api/copy/...``): the citizen places the page, chooses what the
copy may be used for (the XX of "仅供XX使用"), sees a preview scanned here and marked exactly
as the copy will be, and prints it through a ``copy`` job on this kiosk (made by the cloud,
purpose ``copy``, so the print audit records it). Nothing to pay.

The preview is a scan of a citizen's document: it lives in the session's memory only (never
on disk, never in a log), is served with ``no-store``, and the session's clear forgets it.
The copy job scans the page again when it runs, so what is printed is what lies under the
camera then; the preview shows the citizen how it will look.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from edge_agent.errors import AgentError
from edge_agent.fonts import find_cjk_font
from edge_agent.jobs.copy_page import Lang, WatermarkUnavailable, compose_copy, watermark_text
from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.relay import NO_STORE, error, relay

log = logging.getLogger(__name__)

PREVIEW_KEY = "copy.preview"
#: the choices of "仅供…使用" the screen offers: (zh as printed, en as shown)
LABELS: list[tuple[str, str]] = [
    ("办理户籍业务", "household registration"),
    ("办理社保业务", "social insurance"),
    ("办理医保业务", "medical insurance"),
    ("办理公积金业务", "housing fund"),
    ("办理不动产登记", "real-estate registration"),
    ("办理婚姻登记", "marriage registration"),
    ("办理出入境业务", "exit-entry matters"),
    ("办理营业执照", "a business licence"),
]
MAX_COPIES = 5
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
#: the scan and the mark take a few seconds on a kiosk's CPU; past this the citizen is told
PREVIEW_TIMEOUT_S = 20.0
_NO_COPIER = (
    "本机暂不能复印，请到窗口办理。",
    "This kiosk cannot make copies: please go to a window.",
)


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _label(body: dict[str, Any]) -> str | None:
    label = body.get("label")
    return label if any(label == zh for zh, _ in LABELS) else None


def _copies(body: dict[str, Any]) -> int | None:
    n = body.get("copies", 1)
    ok = isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= MAX_COPIES
    return n if ok else None


def _lang(body: dict[str, Any]) -> Lang:
    return "en" if body.get("lang") == "en" else "zh-CN"


def _bad_choice() -> Response:
    return error(
        422,
        "copy_choice_invalid",
        f"请选择复印件的用途，份数为 1 至 {MAX_COPIES} 份。",
        f"Choose what the copy is for, and 1 to {MAX_COPIES} copies.",
    )


async def _preview(parts: KioskParts, label: str, lang: Lang) -> Response:
    printer = parts.peripheral("a4_printer")
    scanner = getattr(printer, "scanner", None)
    if scanner is None:
        return error(409, "no_copier", *_NO_COPIER)
    font = find_cjk_font()
    terminal = parts.view.config.device_id
    text = watermark_text(label, terminal, datetime.now().astimezone(), lang)
    try:
        async with asyncio.timeout(PREVIEW_TIMEOUT_S):
            scan = await scanner.scan("document")
            page = await asyncio.to_thread(compose_copy, scan.jpeg, text, font, title="preview")
    except WatermarkUnavailable as err:
        log.warning("kiosk copy: %s", err)
        return error(503, "watermark_unavailable", *_NO_COPIER)
    except (AgentError, TimeoutError) as err:
        log.warning("kiosk copy: the preview scan failed: %s", type(err).__name__)
        return error(
            503,
            "camera_error",
            "高拍仪暂时无法拍摄，请将材料平放后重试，或到窗口办理。",
            "The document camera cannot take the page now: lay it flat and try again, "
            "or go to a window.",
        )
    parts.session.put(PREVIEW_KEY, page.jpeg)
    body = {
        "preview": f"/kiosk/api/copy/preview.jpg?v={secrets.token_hex(4)}",
        "width": page.width,
        "height": page.height,
        "page_found": bool(getattr(scan, "page_found", True)),
        "watermark": text,
    }
    return JSONResponse(body, headers=NO_STORE)


def routes(parts: KioskParts) -> list[BaseRoute]:
    async def labels(request: Request) -> Response:
        choices = [{"zh": zh, "en": en} for zh, en in LABELS]
        return JSONResponse({"labels": choices, "max_copies": MAX_COPIES}, headers=NO_STORE)

    async def preview(request: Request) -> Response:
        body = await _body(request)
        label = _label(body)
        if label is None:
            return _bad_choice()
        return await _preview(parts, label, _lang(body))

    async def preview_image(request: Request) -> Response:
        jpeg = parts.session.get(PREVIEW_KEY)
        if not isinstance(jpeg, bytes):
            return error(404, "no_preview", "请先预览。", "Please preview first.")
        return Response(jpeg, media_type="image/jpeg", headers=NO_STORE)

    async def start(request: Request) -> Response:
        body = await _body(request)
        label, copies, request_id = _label(body), _copies(body), body.get("request_id")
        if label is None or copies is None or not isinstance(request_id, str):
            return _bad_choice()
        out = {"label": label, "copies": copies, "lang": _lang(body), "request_id": request_id}
        parts.session.pop(PREVIEW_KEY)  # the preview has served: not kept while printing
        return await relay(parts, "POST", "/api/v1/kiosk/copies", json=out)

    async def state(request: Request) -> Response:
        job_id = request.path_params["job_id"]
        if not _JOB_ID.match(job_id):
            return error(404, "copy_not_found", "没有找到这次复印。", "This copy was not found.")
        return await relay(parts, "GET", f"/api/v1/kiosk/copies/{job_id}")

    return [
        Route("/kiosk/api/copy/labels", labels, methods=["GET"]),
        Route("/kiosk/api/copy/preview", preview, methods=["POST"]),
        Route("/kiosk/api/copy/preview.jpg", preview_image, methods=["GET"]),
        Route("/kiosk/api/copy/print", start, methods=["POST"]),
        Route("/kiosk/api/copy/jobs/{job_id}", state, methods=["GET"]),
    ]
