"""``/api/v1/hall/content``, ``/floorplans``, ``/images``: a site's floor plan and window
information, versioned (docs/hall-content.md).

Reading needs ``hall.read``; uploading, publishing and rolling back need ``content.write``.
A site outside the caller's subtree is a 404, as if it did not exist. Every change is in the
audit log. A publication is a new version; a rollback is a new version with an old body.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse

from cloud.api.auth_deps import check_site, client_ip, require
from cloud.api.errors import error_responses
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.db import sites as site_repo
from cloud.errors import NotFound
from cloud.hall import content_repo as repo
from cloud.hall.content_schemas import (
    ContentKind,
    ContentList,
    ContentVersionOut,
    FloorPlanPublishIn,
    WindowsPublishIn,
)
from cloud.hall.content_service import ContentService
from cloud.hall.content_tables import HallContent
from cloud.schemas import SITE_PATH_PATTERN
from fleet.access import Permission

router = APIRouter(
    prefix="/api/v1/hall",
    tags=["hall content"],
    responses=error_responses(401, 403, 422, 500),
    route_class=StrictJsonRoute,
)
HallReader = Annotated[Principal, Depends(require(Permission.HALL_READ))]
ContentWriter = Annotated[Principal, Depends(require(Permission.CONTENT_WRITE))]
SiteParam = Annotated[
    str, Query(pattern=SITE_PATH_PATTERN, description="the site's path (qh/hx/golmud/hhl)")
]
_NO_SITE = "no such site (or outside your scope)"


async def content_service(request: Request) -> ContentService:
    content: ContentService | None = request.app.state.parts.hall.content
    if content is None:  # pragma: no cover - always built by cloud.wiring
        raise NotFound("hall content is not enabled in this cloud")
    return content


ContentDep = Annotated[ContentService, Depends(content_service)]


def version_out(site: str, row: HallContent, current: int | None) -> ContentVersionOut:
    return ContentVersionOut(
        id=row.id,
        site=site,
        kind=row.kind,
        version=row.version,
        state="draft" if row.version is None else "published",
        current=row.version is not None and row.version == current,
        body=row.body,
        rolled_back_to=row.rolled_back_to,
        created_at=row.created_at,
        created_by=row.created_by,
        published_at=row.published_at,
        published_by=row.published_by,
    )


def _visible(caller: Principal, site: str) -> None:
    check_site(caller, site, f"site {site!r}")


@router.get(
    "/content",
    response_model=ContentList,
    responses=error_responses(described={404: _NO_SITE}),
    summary="A site's content versions (newest first) and drafts",
)
async def list_content(
    caller: HallReader, content: ContentDep, site: SiteParam, kind: ContentKind = "floorplan"
) -> ContentList:
    _visible(caller, site)
    async with content.sessions() as s:
        row = await site_repo.require(s, site)
        items = await repo.published(s, row.id, kind)
        drafts = await repo.drafts(s, row.id, kind) if kind == "floorplan" else []
    current = items[0].version if items else None
    return ContentList(
        site=site,
        kind=kind,
        current=current,
        items=[version_out(site, r, current) for r in items],
        drafts=[version_out(site, r, current) for r in drafts],
    )


_UPLOAD_DOC = error_responses(
    described={
        404: _NO_SITE,
        413: "the file is larger than KFLEET_HALL_PLAN_MAX_BYTES",
        415: "the file is not a PNG, JPEG, WebP or SVG image",
        422: "the image is corrupt, too many pixels, or an SVG that could act (script, "
        "event handlers, outside references)",
    }
)


@router.post(
    "/floorplans",
    response_model=ContentVersionOut,
    status_code=201,
    responses=_UPLOAD_DOC,
    summary="Upload a floor plan image (multipart field 'file'); it becomes a draft",
)
async def upload_floorplan(
    caller: ContentWriter,
    content: ContentDep,
    request: Request,
    site: SiteParam,
    file: Annotated[
        UploadFile,
        File(
            description="the plan: PNG, JPEG, WebP or SVG", json_schema_extra={"format": "binary"}
        ),
    ],
) -> ContentVersionOut:
    """Checked (type by magic bytes, decoded, size), stored as a blob, kept as a draft that
    carries the current plan's window and area placements; publish it with
    ``POST /content/floorplan/publish``."""
    _visible(caller, site)
    await content.require_site(site)
    data = await file.read(content.plan_limits.max_bytes + 1)
    draft = await content.upload_floorplan(site, data, caller.actor, client_ip(request))
    return version_out(site, draft, None)


_PUBLISH_ERRORS = error_responses(
    400,
    413,
    described={
        404: _NO_SITE + "; for a floor plan also: an image never uploaded for this site",
        409: "the version is not the next one (someone published meanwhile): reload",
        422: "a window placed twice, unknown at the site, or a position outside the plan",
    },
)


@router.post(
    "/content/floorplan/publish",
    response_model=ContentVersionOut,
    status_code=201,
    responses=_PUBLISH_ERRORS,
    summary="Publish a new version of the site's floor plan",
)
async def publish_floorplan(
    caller: ContentWriter,
    content: ContentDep,
    request: Request,
    site: SiteParam,
    body: FloorPlanPublishIn,
) -> ContentVersionOut:
    """The plan you edited: the uploaded image's sha256, windows, areas, "you are here"."""
    _visible(caller, site)
    ip = client_ip(request)
    await content.publish_floorplan(site, body.plan, caller.actor, version=body.version, ip=ip)
    return await _current_out(content, site, "floorplan")


@router.post(
    "/content/windows/publish",
    response_model=ContentVersionOut,
    status_code=201,
    responses=_PUBLISH_ERRORS,
    summary="Publish a new version of the site's window information",
)
async def publish_windows(
    caller: ContentWriter,
    content: ContentDep,
    request: Request,
    site: SiteParam,
    body: WindowsPublishIn,
) -> ContentVersionOut:
    """Built from the site's windows, services and staff (change those to change it)."""
    _visible(caller, site)
    ip = client_ip(request)
    await content.publish_windows(site, caller.actor, version=body.version, force=True, ip=ip)
    return await _current_out(content, site, "windows")


async def _current_out(content: ContentService, site: str, kind: str) -> ContentVersionOut:
    async with content.sessions() as s:
        row = await site_repo.require(s, site)
        cur = await repo.current(s, row.id, kind)
    assert cur is not None
    return version_out(site, cur, cur.version)


@router.post(
    "/content/{kind}/rollback",
    response_model=ContentVersionOut,
    status_code=201,
    responses=error_responses(
        described={
            404: _NO_SITE,
            409: "that version is the current one, or no such version was published",
        }
    ),
    summary="Publish an earlier version's body again, as a new version",
)
async def rollback(
    caller: ContentWriter,
    content: ContentDep,
    request: Request,
    site: SiteParam,
    kind: Annotated[ContentKind, Path(description="floorplan or windows")],
    version: Annotated[int, Query(ge=1, le=2**31 - 1, description="the version to go back to")],
) -> ContentVersionOut:
    _visible(caller, site)
    await content.rollback(site, kind, version, caller.actor, client_ip(request))
    return await _current_out(content, site, kind)


_IMAGE_DOC: dict[int | str, dict[str, Any]] = {
    200: {"description": "the image", "content": {"image/png": {}, "image/svg+xml": {}}},
    **error_responses(described={404: "no such image of this site (or outside your scope)"}),
}


@router.get(
    "/images/{sha256}",
    response_class=FileResponse,
    response_model=None,
    responses=_IMAGE_DOC,
    summary="An image (plan, staff photo) of the site's content, for the console",
)
async def image(
    caller: HallReader,
    content: ContentDep,
    site: SiteParam,
    sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
) -> Response:
    """Only images this site's content or staff name; served with the type it was checked
    as, ``nosniff`` and a CSP that lets an SVG draw and nothing else."""
    _visible(caller, site)
    media = await content.image_type(site, sha256)
    if media is None or not content.blobs.exists(sha256):
        raise NotFound(f"image {sha256} is not an image of {site}'s content")
    headers = {
        "ETag": f'"{sha256}"',
        "Cache-Control": "private, max-age=86400, immutable",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    }
    return FileResponse(content.blobs.locate(sha256), media_type=media, headers=headers)
