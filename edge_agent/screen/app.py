"""The screen's ASGI app: one static page, its scripts and style, a status endpoint and the
corner-adjust review routes (:mod:`edge_agent.screen.review_routes`).

The page is filled in on the server (title, device and site name, the words the script
needs) so it says who it is even before the script runs; the script then polls
``/api/v1/screen/status`` every 2 s. On a kiosk ``/`` leads to the citizen's app
(``/kiosk``); the status page (with the corner reviews) is at ``/status`` on every role. Only
the device's own state is served here: no job, ticket or citizen data ever passes through.
A strict Content-Security-Policy keeps the page from loading anything that is not served by
the agent itself.
"""

from __future__ import annotations

import asyncio
import html
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from edge_agent.kiosk.routes import kiosk_routes
from edge_agent.screen.hall_routes import hall_routes
from edge_agent.screen.review_routes import review_routes
from edge_agent.screen.texts import PAGE_WORDS, Lang, peripheral_text, pick_lang, title_of
from protocols.messages import Health

if TYPE_CHECKING:
    from edge_agent.config import AgentConfig
    from edge_agent.drivers.interface import Peripheral
    from edge_agent.hall import HallContent
    from edge_agent.jobs.review_desk import ReviewDesk
    from edge_agent.kiosk import KioskParts

STATIC_DIR = Path(__file__).resolve().parent / "static"
_ASSETS = {
    "screen.js": "text/javascript",
    "review.js": "text/javascript",
    "screen.css": "text/css",
}
#: nothing but the agent's own origin: no CDN, no external font, no tracking
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class AgentView(Protocol):
    """What the screen reads from the agent (``edge_agent.agent.Agent`` satisfies it)."""

    @property
    def config(self) -> AgentConfig: ...

    @property
    def peripherals(self) -> Mapping[str, Peripheral]: ...

    @property
    def health(self) -> Mapping[str, tuple[Health, str]]: ...

    @property
    def connected(self) -> asyncio.Event: ...

    @property
    def counters(self) -> Counter[str]: ...


def status_of(view: AgentView, lang: Lang) -> dict[str, Any]:
    """The status JSON: who the device is, whether it reaches the fleet, its peripherals."""
    cfg = view.config
    peripherals = []
    for pid, p in view.peripherals.items():
        health, reason = view.health.get(pid, (Health.UNKNOWN, ""))
        peripherals.append(
            {
                "id": pid,
                "kind": p.kind,
                "health": health.value,
                "reason": reason,
                "text": peripheral_text(p.kind, health, reason, lang),
            }
        )
    return {
        "device_id": cfg.device_id,
        "name": cfg.name,
        "role": cfg.role.value,
        "site": cfg.site,
        "site_name": cfg.screen.site_name,
        "connected": view.connected.is_set(),
        "lang": lang,
        "peripherals": peripherals,
        "time": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def render_page(view: AgentView, lang: Lang) -> str:
    """index.html with ``{{key}}`` placeholders replaced by escaped text."""
    cfg = view.config
    words = PAGE_WORDS[lang]
    values = {
        "lang": lang,
        "title": title_of(cfg.role, lang),
        "name": cfg.name or cfg.device_id,
        "site_name": cfg.screen.site_name,
        "other_lang": "en" if lang == "zh-CN" else "zh-CN",
        **words,
    }
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    for key, value in values.items():
        page = page.replace("{{" + key + "}}", html.escape(value, quote=True))
    return page


def create_app(
    view: AgentView,
    desk: ReviewDesk | None = None,
    hall: HallContent | None = None,
    kiosk: KioskParts | None = None,
) -> Starlette:
    """The app for one agent; ``view`` is read on every request (no copy of its state);
    ``desk`` holds the corner reviews the screen shows (none without one); ``hall`` the
    site's content for the hall and window screens (:mod:`edge_agent.screen.hall_routes`)."""
    default = view.config.screen.lang

    async def page(request: Request) -> Response:
        lang = pick_lang(request.query_params.get("lang"), default)
        headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-store"}
        return HTMLResponse(render_page(view, lang), headers=headers)

    def review_section(lang: str) -> str:
        """The status page's corner review section, for the kiosk's own page."""
        page_html = render_page(view, pick_lang(lang, default))
        start = page_html.index('<section id="review"')
        return page_html[start : page_html.index("</section>", start) + len("</section>")]

    async def root(request: Request) -> Response:
        if kiosk is None:
            return await page(request)
        # a kiosk's screen is the citizen's app; its status page stays at /status
        query = request.url.query
        return RedirectResponse("/kiosk" + (f"?{query}" if query else ""), status_code=302)

    async def status(request: Request) -> Response:
        lang = pick_lang(request.query_params.get("lang"), default)
        body = status_of(view, lang)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _ASSETS:
            return JSONResponse({"detail": f"no screen asset {name!r}"}, status_code=404)
        return FileResponse(STATIC_DIR / name, media_type=_ASSETS[name])

    return Starlette(
        routes=[
            Route("/", root, methods=["GET"]),
            Route("/status", page, methods=["GET"]),
            Route("/api/v1/screen/status", status, methods=["GET"]),
            Route("/screen/{name}", asset, methods=["GET"]),
            *review_routes(desk),
            *hall_routes(view, hall, CSP),
            *kiosk_routes(kiosk, review_section if desk is not None else None),
        ]
    )
