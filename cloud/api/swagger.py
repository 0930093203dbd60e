"""``/docs`` served from the package: halls are often intranet-only, so no CDN.

FastAPI's own ``/docs`` page loads Swagger UI from a CDN and ``/redoc`` loads ReDoc and web
fonts from others; both are blank without internet. This replaces ``/docs`` with the same
page whose script, stylesheet and icon come from ``static/swagger-ui`` (vendored, version and
licence in its README) and drops ``/redoc`` and ``/docs/oauth2-redirect`` (the API has no
OAuth2 flow: API tokens are pasted into "Authorize"). ``/openapi.json`` is unchanged.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from starlette.routing import BaseRoute, Route

ASSETS_DIR = Path(__file__).resolve().parent / "static" / "swagger-ui"
DOCS_URL = "/docs"
ASSETS_URL = f"{DOCS_URL}/assets"
_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
#: Never ask validator.swagger.io about the document (it would leave the hall network).
_PARAMETERS = {"validatorUrl": None}


def _is_cdn_page(route: BaseRoute, app: FastAPI) -> bool:
    dropped = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    return isinstance(route, Route) and route.path in dropped


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` with the vendored Swagger UI; remove the CDN-backed pages."""
    app.router.routes[:] = [r for r in app.router.routes if not _is_cdn_page(r, app)]
    app.docs_url = DOCS_URL
    app.redoc_url = None
    app.swagger_ui_oauth2_redirect_url = None
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"{app.title} - API"

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
            swagger_ui_parameters=_PARAMETERS,
        )

    @app.get(f"{ASSETS_URL}/{{name}}", include_in_schema=False)
    async def swagger_asset(name: str) -> FileResponse:
        if name not in _ASSETS:
            raise HTTPException(404, f"there is no Swagger UI asset {name!r}")
        return FileResponse(
            ASSETS_DIR / name,
            media_type=_ASSETS[name],
            headers={"Cache-Control": "public, max-age=86400"},
        )
