"""``/api/v1/guide/publish``, ``/versions``, ``/export``, ``/import``: publishing the
catalogue to every site's kiosks, its versions, and the working copy as a file (JSON or
Excel). Reading needs ``hall.read``; publishing and importing ``guide.edit`` at the top of the
site tree (``cloud.api.guide_deps``); both are in the audit log.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cloud.api.auth_deps import client_ip
from cloud.api.errors import error_responses
from cloud.api.guide_deps import CatalogueDep, GuideEditor, GuideReader
from cloud.api.strict_json import StrictJsonRoute
from cloud.db.models import utcnow
from cloud.kiosk import catalogue_io
from cloud.kiosk.catalogue_errors import VersionNotFound
from cloud.kiosk.catalogue_schemas import ImportMode, ImportOut, VersionList, VersionOut
from protocols.guide import Catalogue

router = APIRouter(
    prefix="/api/v1/guide",
    tags=["service guide"],
    responses=error_responses(401, 403, 422, 500),
    route_class=StrictJsonRoute,
)
FormatQuery = Annotated[catalogue_io.Format, Query(description="json or xlsx (Excel)")]
MEDIA = {"json": "application/json", "xlsx": catalogue_io.XLSX_MEDIA}


class PublishIn(BaseModel):
    #: why this version (shown in the versions list)
    note: Annotated[str, Field(max_length=500)] = ""


@router.post(
    "/publish",
    status_code=201,
    response_model=VersionOut,
    responses=error_responses(
        400,
        described={
            409: "someone published the same version at the same moment (guide_stale_version),"
            " or there is nothing to publish (guide_nothing_to_publish)",
            413: "the body is larger than KFLEET_API_MAX_BODY_BYTES",
            422: "items with problems (each in errors, loc ['items', code])",
            507: "the disk under the blob store is full",
        },
    ),
    summary="Publish the working copy to every site's kiosks as a new version",
)
async def publish(
    caller: GuideEditor, service: CatalogueDep, request: Request, body: PublishIn | None = None
) -> VersionOut:
    """Drafts are left out; the document is stored as a blob and offered to every site."""
    note = body.note if body else ""
    return await service.publish(caller.actor, client_ip(request), note)


@router.get("/versions", response_model=VersionList, summary="Publications, newest first")
async def versions(
    _caller: GuideReader,
    service: CatalogueDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> VersionList:
    return VersionList(versions=await service.versions(limit))


@router.get(
    "/versions/{version}",
    response_model=Catalogue,
    responses=error_responses(described={404: "no such version (code guide_version_not_found)"}),
    summary="One publication's catalogue, exactly as the kiosks got it",
)
async def version_document(
    _caller: GuideReader,
    service: CatalogueDep,
    version: Annotated[str, Path(pattern=r"^[1-9][0-9]{0,8}$", description="a version number")],
) -> Response:
    """The published JSON (the blob's bytes). Import it with ``mode=replace`` and publish to
    go back to it."""
    data = await service.published.document(int(version))
    if data is None:
        raise VersionNotFound(int(version))
    return Response(data, media_type="application/json")


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {m: {} for m in MEDIA.values()}, "description": "the file"}},
    summary="The working copy as a JSON or Excel file",
)
async def export(_caller: GuideReader, service: CatalogueDep, format: FormatQuery) -> Response:
    doc = await service.export_document()
    data = await asyncio.to_thread(catalogue_io.write, doc, format)
    name = f"catalogue-{utcnow():%Y%m%d-%H%M}.{format}"
    return Response(
        data,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/import",
    response_model=ImportOut,
    responses=error_responses(
        described={
            413: "the file is larger than KFLEET_GUIDE_IMPORT_MAX_BYTES",
            422: "bad rows or entries: each in errors with its place (loc ['file', sheet, "
            "row, column] for Excel); nothing was saved",
        }
    ),
    summary="Import a JSON or Excel file into the working copy (all or nothing)",
)
async def import_file(
    caller: GuideEditor,
    service: CatalogueDep,
    request: Request,
    format: FormatQuery,
    file: Annotated[
        UploadFile,
        File(description="the JSON or .xlsx file", json_schema_extra={"format": "binary"}),
    ],
    mode: Annotated[
        ImportMode, Query(description="merge: add and replace; replace: also delete the rest")
    ] = "merge",
) -> ImportOut:
    data = await file.read()
    departments = {d.code for d in await service.departments()}
    themes = {t.code for t in await service.themes()}
    # parsing a workbook of thousands of rows takes seconds of CPU: off the event loop
    doc = await asyncio.to_thread(catalogue_io.read, data, format, departments, themes)
    return await service.import_document(doc, mode, actor=caller.actor, ip=client_ip(request))
