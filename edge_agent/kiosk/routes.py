"""The kiosk shell on the screen server: ``/kiosk`` (the app), ``/kiosk/static/...`` (its
scripts, styles and vendored libraries, all served locally), ``/kiosk/api/status`` and
``/kiosk/api/session/clear``, the ID-card read (:mod:`edge_agent.kiosk.idcard`), plus every
feature's routes (:data:`FEATURES`).

The page is one HTML shell; each feature's script ``k_<name>.js`` is listed in it in name
order and registers its screens with ``kiosk.js``. A strict Content-Security-Policy keeps the
page from loading anything the agent does not serve.
"""

from __future__ import annotations

import html
import mimetypes
from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from edge_agent.kiosk.cloud_probe import CloudProbe
from edge_agent.kiosk.features import FEATURES
from edge_agent.kiosk.idcard import idcard_routes
from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.relay import NO_STORE, error

STATIC_DIR = Path(__file__).resolve().parent / "static"
_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".json": "application/json",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data: blob:; font-src 'self'; media-src 'self' blob:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def feature_scripts() -> list[str]:
    """The feature scripts, in name order (``k_appointments.js``, ``k_guide.js``...)."""
    return sorted(p.name for p in STATIC_DIR.glob("k_*.js"))


def feature_styles() -> list[str]:
    """The features' own style sheets (``k_<name>.css``), in name order."""
    return sorted(p.name for p in STATIC_DIR.glob("k_*.css"))


#: ``lang`` → HTML the screen server adds to the shell (the scan corner review's section)
Extra = Callable[[str], str]
#: loaded with the screen server's corner review section (it is served by the screen app)
REVIEW_ASSETS = (
    '<link rel="stylesheet" href="/kiosk/static/kiosk.review.css">\n'
    '<script src="/screen/review.js" defer></script>'
)


def render_shell(parts: KioskParts, lang: str, extra: Extra | None = None) -> str:
    cfg = parts.view.config
    values = {
        "lang": lang,
        "device_id": cfg.device_id,
        "name": cfg.name or cfg.device_id,
        "site": cfg.site,
        "site_name": cfg.screen.site_name,
        "idle_warn_s": str(cfg.kiosk.idle_warn_s),
        "idle_clear_s": str(cfg.kiosk.idle_clear_s),
    }
    page = (STATIC_DIR / "kiosk.html").read_text(encoding="utf-8")
    for key, value in values.items():
        page = page.replace("{{" + key + "}}", html.escape(value, quote=True))
    tags = "\n".join(
        f'<script src="/kiosk/static/{html.escape(n)}" defer></script>' for n in feature_scripts()
    )
    links = "\n".join(
        f'<link rel="stylesheet" href="/kiosk/static/{html.escape(n)}">' for n in feature_styles()
    )
    page = page.replace("<!--review-->", (extra(lang) + "\n" + REVIEW_ASSETS) if extra else "")
    return page.replace("<!--features-->", links + "\n" + tags)


def _static(request: Request) -> Response:
    name = request.path_params["path"]
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file() or path.suffix not in _TYPES:
        return error(404, "not_found", f"no kiosk asset {name!r}", f"no kiosk asset {name!r}")
    kind = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "text/plain"
    return FileResponse(path, media_type=kind, headers={"Cache-Control": "no-cache"})


def kiosk_routes(parts: KioskParts | None, extra: Extra | None = None) -> list[BaseRoute]:
    """The shell's routes and every feature's (none without ``parts``); ``extra`` adds the
    screen server's scan corner review to the page."""
    if parts is None:
        return []

    async def shell(request: Request) -> Response:
        lang = request.query_params.get("lang") or parts.view.config.kiosk.lang
        lang = lang if lang in ("zh-CN", "en") else "zh-CN"
        headers = {"Content-Security-Policy": CSP, **NO_STORE}
        return HTMLResponse(render_shell(parts, lang, extra), headers=headers)

    probe = parts.state.setdefault("cloud_probe", CloudProbe(parts.cloud))

    async def status(request: Request) -> Response:
        cfg = parts.view.config
        has_cloud = parts.cloud.cloud_url is not None
        reachable = has_cloud and await probe.reachable()
        body = {
            "device_id": cfg.device_id,
            "name": cfg.name or cfg.device_id,
            "site": cfg.site,
            "site_name": cfg.screen.site_name,
            "connected": parts.view.connected.is_set(),
            "has_cloud": has_cloud,
            "cloud_reachable": reachable,
            "online": reachable,
            "peripherals": sorted({p.kind for p in parts.view.peripherals.values()}),
            "idle_warn_s": cfg.kiosk.idle_warn_s,
            "idle_clear_s": cfg.kiosk.idle_clear_s,
            "session": parts.session.id,
        }
        return JSONResponse(body, headers=NO_STORE)

    async def clear(request: Request) -> Response:
        parts.session.clear()
        return JSONResponse({"session": parts.session.id}, headers=NO_STORE)

    async def static(request: Request) -> Response:
        return _static(request)

    routes: list[BaseRoute] = [
        Route("/kiosk", shell, methods=["GET"]),
        Route("/kiosk/static/{path:path}", static, methods=["GET"]),
        Route("/kiosk/api/status", status, methods=["GET"]),
        Route("/kiosk/api/session/clear", clear, methods=["POST"]),
        *idcard_routes(parts),
    ]
    for feature in FEATURES:
        routes += feature(parts)
    return routes
