"""The operator console: static pages whose scripts call the API (no build step).

Each page is an HTML file in ``cloud/console``; every page but the login page loads
``shell.js`` first, which sends a signed-out browser to ``/login``. The pages themselves are
public (they hold no data); everything they show comes from authenticated API calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse, HTMLResponse

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
#: third-party libraries copied from their packages, one folder each (``vendor/uplot``)
VENDOR_DIR = CONSOLE_DIR / "vendor"

#: URL path → HTML file. A page added here must also be in shell.js's NAV (if it is navigable).
PAGES = {
    "/": "index.html",
    "/enrollment": "enrollment.html",
    "/login": "login.html",
    "/users": "users.html",
    "/tokens": "tokens.html",
    "/audit": "audit.html",
    "/jobs": "jobs.html",
    "/overview": "overview.html",
    "/device": "device.html",
    "/notifications": "notifications.html",  # issue 12: the record of alert notifications
    "/availability": "availability.html",
    "/alerts": "alerts.html",
    "/hall/content": "hall_content.html",  # issue 13: floor plan and window information
    "/hall/queues": "hall_queues.html",  # issue 13: the queue monitor
    "/hall/ratings": "hall_ratings.html",  # issue 13: 好差评 reports and follow-ups
    "/appointments": "appointments.html",  # issue 14: appointment calendars per hall
    "/guide": "guide.html",  # issue 14: the service-guide catalogue editor
    "/kiosk/stats": "kiosk_stats.html",  # issue 14: convenience query usage
    "/reconciliation": "reconciliation.html",  # issue 15: payment reconciliation
    "/forms": "forms.html",  # issue 15: the e-form editor (versions, publish, roll back)
    "/payments": "payments.html",  # issue 15: utility-bill orders and refunds
    "/print-audit": "print_audit.html",  # issue 15: the print/copy audit (统一扎口)
    "/live": "live.html",  # issue 16: live walls (WHEP tiles with stream health)
    "/help": "help.html",  # issue 16: the call centre (视频帮办)
    "/help/history": "help_history.html",  # issue 16: call records, missed calls highlighted
    "/rollouts": "rollouts.html",  # issue 17: agent releases and staged rollouts
}
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}

router = APIRouter(include_in_schema=False)


def _page(file: str, lang: str) -> HTMLResponse:
    html = (CONSOLE_DIR / file).read_text(encoding="utf-8")
    return HTMLResponse(html.replace('lang="zh-CN"', f'lang="{lang}"', 1))


def _add_page(path: str, file: str) -> None:
    async def page(lang: Annotated[Literal["zh-CN", "en"], Query()] = "zh-CN") -> HTMLResponse:
        """The page; ``?lang=en`` for English (its scripts read the same parameter)."""
        return _page(file, lang)

    router.add_api_route(path, page, methods=["GET"], response_class=HTMLResponse)


for _path, _file in PAGES.items():
    _add_page(_path, _file)


@router.get("/console/{name}")
async def console_asset(name: str) -> FileResponse:
    """A script, style sheet or image of the console (only files that exist, no paths)."""
    suffix = Path(name).suffix
    path = CONSOLE_DIR / name
    if "/" in name or name.startswith(".") or suffix not in _TYPES or not path.is_file():
        raise HTTPException(404, f"no console asset {name!r}")
    return FileResponse(path, media_type=_TYPES[suffix])


def _vendored(lib: str, name: str) -> Path | None:
    """``vendor/<lib>/<name>`` if it is a servable file inside VENDOR_DIR, else None: plain
    names only (no separators, no dot files), and the resolved path must stay inside."""
    for part in (lib, name):
        if not part or "/" in part or "\\" in part or part.startswith("."):
            return None
    if Path(name).suffix not in _TYPES:
        return None
    path = (VENDOR_DIR / lib / name).resolve()
    if not path.is_relative_to(VENDOR_DIR.resolve()) or not path.is_file():
        return None
    return path


@router.get("/console/vendor/{lib}/{name}")
async def vendor_asset(lib: str, name: str) -> FileResponse:
    """A vendored library's script or style sheet (``vendor/<lib>/README.md`` says which
    version and how to update it)."""
    path = _vendored(lib, name)
    if path is None:
        raise HTTPException(404, f"no vendored asset {lib!r}/{name!r}")
    return FileResponse(path, media_type=_TYPES[path.suffix])
