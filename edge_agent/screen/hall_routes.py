"""The hall screen (``/hall``) and the window screen (``/window?number=3``) of the agent's
screen server, their live stream (``/api/v1/screen/hall/events``, server-sent events) and the
verified hall images (``/screen/hall/blob/{sha256}``).

The stream sends the whole screen state (``hall_view.hall_state``) at once on connecting, then
again at every change the agent accepts (a new live body, a plan whose image is verified) —
the page changes within a second of the cloud's publication, no polling — and every
``HEARTBEAT_S`` so a screen notices a dead connection and shows whether the device reaches the
fleet. The page's ``EventSource`` reconnects by itself when the agent restarts.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import BaseRoute, Route

from edge_agent.hall import HallContent
from edge_agent.screen.hall_texts import HALL_WORDS, WINDOW_WORDS
from edge_agent.screen.hall_view import hall_state
from edge_agent.screen.texts import Lang, pick_lang

if TYPE_CHECKING:
    from edge_agent.config import AgentConfig


class HallView(Protocol):
    """What the hall screens read from the agent (``edge_agent.screen.app.AgentView`` has it)."""

    @property
    def config(self) -> AgentConfig: ...

    @property
    def connected(self) -> asyncio.Event: ...


STATIC_DIR = Path(__file__).resolve().parent / "static"
HALL_ASSETS = {
    "hall.js": "text/javascript",
    "hall.css": "text/css",
    "window.js": "text/javascript",
    "window.css": "text/css",
    "hall_live.js": "text/javascript",
}
HEARTBEAT_S = 10.0
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_WINDOW_RE = re.compile(r"^[0-9A-Za-z-]{1,8}$")


def render(template: str, values: dict[str, str]) -> str:
    """A page from ``static/`` with ``{{key}}`` placeholders replaced by escaped text."""
    page = (STATIC_DIR / template).read_text(encoding="utf-8")
    for key, value in values.items():
        page = page.replace("{{" + key + "}}", html.escape(value, quote=True))
    return page


def hall_routes(view: HallView, hall: HallContent | None, csp: str) -> list[BaseRoute]:
    """The routes; without hall content (an agent built without it) the pages say so."""
    default = view.config.screen.lang
    headers = {"Content-Security-Policy": csp, "Cache-Control": "no-store"}

    def values(lang: Lang, words: dict[str, str]) -> dict[str, str]:
        cfg = view.config
        return {
            "lang": lang,
            "other_lang": "en" if lang == "zh-CN" else "zh-CN",
            "site_name": cfg.screen.site_name,
            "device_id": cfg.device_id,
            **words,
        }

    async def hall_page(request: Request) -> Response:
        lang = pick_lang(request.query_params.get("lang"), default)
        page = render("hall.html", values(lang, HALL_WORDS[lang]))
        return HTMLResponse(page, headers=headers)

    async def window_page(request: Request) -> Response:
        lang = pick_lang(request.query_params.get("lang"), default)
        number = request.query_params.get("number") or view.config.screen.window
        if not _WINDOW_RE.match(number):
            return _bad_window(number)
        page = render("window.html", {**values(lang, WINDOW_WORDS[lang]), "number": number})
        return HTMLResponse(page, headers=headers)

    async def events(request: Request) -> Response:
        lang = pick_lang(request.query_params.get("lang"), default)
        if hall is None:
            return JSONResponse({"detail": "this agent keeps no hall content"}, status_code=404)
        stream = _stream(view, hall, lang)
        return StreamingResponse(
            stream,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def blob(request: Request) -> Response:
        sha = request.path_params["sha256"]
        if hall is None or not _SHA_RE.match(sha) or not hall.blobs.has(sha):
            return JSONResponse({"detail": f"no verified hall image {sha[:64]!r}"}, 404)
        media = _media_type(hall, sha)
        return FileResponse(hall.blobs.path(sha), media_type=media, headers=_blob_headers(csp))

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in HALL_ASSETS:
            return JSONResponse({"detail": f"no hall screen asset {name!r}"}, status_code=404)
        return FileResponse(STATIC_DIR / name, media_type=HALL_ASSETS[name])

    return [
        Route("/hall", hall_page, methods=["GET"]),
        Route("/window", window_page, methods=["GET"]),
        Route("/api/v1/screen/hall/events", events, methods=["GET"]),
        Route("/screen/hall/blob/{sha256}", blob, methods=["GET"]),
        Route("/screen/hall/{name}", asset, methods=["GET"]),
    ]


async def _stream(view: HallView, hall: HallContent, lang: Lang) -> AsyncIterator[str]:
    yield "retry: 1000\n\n"  # the browser reconnects 1 s after a lost stream
    while True:
        seen = hall.revision
        state = hall_state(hall, view.config.device_id, lang, view.connected.is_set())
        yield f"event: content\ndata: {json.dumps(state, ensure_ascii=False)}\n\n"
        try:
            async with asyncio.timeout(HEARTBEAT_S):
                if await hall.wait_change(seen) is None:
                    return  # the agent is stopping: the page reconnects to the next one
        except TimeoutError:
            pass  # heartbeat: the same state again (and the link's state now)


def _media_type(hall: HallContent, sha: str) -> str:
    for name in ("floorplan", "floorplan.shown", "windows"):
        body = hall.body(name)
        if body is None:
            continue
        for ref in _refs(body.model_dump()):
            if ref.get("sha256") == sha:
                return str(ref.get("media_type"))
    return "application/octet-stream"


def _refs(data: object) -> list[dict[str, object]]:
    if isinstance(data, dict):
        own = [data] if "sha256" in data and "media_type" in data else []
        return own + [r for v in data.values() for r in _refs(v)]
    if isinstance(data, list):
        return [r for v in data for r in _refs(v)]
    return []


def _blob_headers(csp: str) -> dict[str, str]:
    # named by their hash: an image never changes, so a browser may keep it
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "max-age=86400, immutable",
    }


def _bad_window(number: str) -> Response:
    return JSONResponse(
        {
            "detail": f"window number {number[:16]!r} is not valid: open /window?number=3 (1-8 "
            "letters, digits or '-'), or set [screen] window in the agent config"
        },
        status_code=400,
    )
