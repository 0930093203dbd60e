"""Everything between the HTTP server and the routers: body limits, the one error shape, docs.

``create_app`` calls :func:`install_http_layer` once; nothing else in the app needs to know.
"""

from __future__ import annotations

from fastapi import FastAPI

from cloud.api.errors import install_error_handlers
from cloud.api.limits import BodyLimit, BodyLimits
from cloud.api.nul_guard import NoNul
from cloud.api.openapi_doc import install_openapi
from cloud.api.swagger import install_docs
from cloud.settings import Settings


def install_http_layer(app: FastAPI, settings: Settings) -> None:
    """Bound every request body, answer every error in one shape, serve ``/docs`` locally
    with an OpenAPI document that says what the API refuses.

    Call it after the routers and the app's own exception handlers are added: its handlers
    replace theirs.
    """
    limits = BodyLimits(
        api_max_bytes=settings.api_max_body_bytes,
        blob_max_bytes=settings.blob_max_bytes,
        hall_image_max_bytes=max(settings.hall_plan_max_bytes, settings.hall_photo_max_bytes),
        guide_import_max_bytes=settings.guide_import_max_bytes,
    )
    app.add_middleware(BodyLimit, limits=limits)
    app.add_middleware(NoNul)  # PostgreSQL stores no NUL: refused before any lookup
    install_error_handlers(app)  # its catch-all middleware wraps the body limit too
    install_docs(app)
    install_openapi(app)  # the document says what the API refuses (NUL) and links ids
