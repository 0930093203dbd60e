"""``GET /api/v1/kiosk/catalogue``: the current published catalogue for a kiosk that missed
the retained announcement (or lost its copy). The kiosk is its device credentials; the
answer is the exact published JSON (the blob's bytes), with ``ETag`` = the version, so
``If-None-Match`` answers 304 while the kiosk is up to date."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from cloud.api.auth_deps import DeviceCaller
from cloud.api.enrollment import described
from cloud.api.guide_deps import CatalogueDep
from cloud.api.strict_json import StrictJsonRoute
from cloud.kiosk.catalogue_errors import NothingPublished
from protocols.guide import Catalogue

router = APIRouter(tags=["kiosk"], route_class=StrictJsonRoute)


def etag(version: int) -> str:
    return f'"{version}"'


@router.get(
    "/api/v1/kiosk/catalogue",
    response_model=Catalogue,
    responses={
        304: {"description": "If-None-Match names the current version: keep yours"},
        **described(
            500,
            said={
                401: "no device credentials, or wrong or revoked ones (code says which)",
                403: "the caller is not a device (code device_only)",
                404: "nothing published yet (code guide_not_published, with the citizen's "
                "sentence)",
            },
        ),
    },
    summary="The current service-guide catalogue (device credentials)",
)
async def current_catalogue(
    _caller: DeviceCaller, service: CatalogueDep, request: Request
) -> Response:
    got = await service.current_document()
    if got is None:
        raise NothingPublished()
    tag = etag(got.version)
    headers = {"ETag": tag, "Cache-Control": "no-cache"}
    wanted = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    if tag in wanted or f"W/{tag}" in wanted or "*" in wanted:
        return Response(status_code=304, headers=headers)
    return Response(got.data, media_type="application/json", headers=headers)
