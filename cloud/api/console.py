"""The operator console: one static page whose script polls the API (no build step)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse, HTMLResponse

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
_ASSETS = {"console.js": "text/javascript", "console.css": "text/css"}

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def console_page(lang: Annotated[Literal["zh-CN", "en"], Query()] = "zh-CN") -> HTMLResponse:
    """The page; ``?lang=en`` for English (the script reads the same parameter)."""
    html = (CONSOLE_DIR / "index.html").read_text(encoding="utf-8")
    return HTMLResponse(html.replace('lang="zh-CN"', f'lang="{lang}"', 1))


@router.get("/console/{name}")
async def console_asset(name: str) -> FileResponse:
    if name not in _ASSETS:
        raise HTTPException(404, f"no console asset {name!r}")
    return FileResponse(CONSOLE_DIR / name, media_type=_ASSETS[name])
