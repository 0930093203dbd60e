"""``/api/v1/hall/staff``: the staff of a site, shown on its window screens with their photo.

Reading needs ``hall.read``; changing needs ``hall.configure``. A site outside the caller's
subtree is a 404. Each change is audited and republishes the site's window information when
what the screens show changed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Request, Response, UploadFile

from cloud.api.auth_deps import check_site, client_ip, require
from cloud.api.errors import error_responses
from cloud.api.hall_content import ContentDep, HallReader, SiteParam
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.hall.content_schemas import StaffCreateIn, StaffIn, StaffList, StaffOut
from cloud.hall.content_staff import StaffBook
from fleet.access import Permission

router = APIRouter(
    prefix="/api/v1/hall/staff",
    tags=["hall content"],
    responses=error_responses(401, 403, 422, 500),
    route_class=StrictJsonRoute,
)
HallConfigurer = Annotated[Principal, Depends(require(Permission.HALL_CONFIGURE))]
StaffNo = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,16}$", description="the staff number")]
_NOT_FOUND = "no such site or staff member (or outside your scope)"


async def _book(content: ContentDep) -> StaffBook:
    return StaffBook(content.sessions, content)


BookDep = Annotated[StaffBook, Depends(_book)]


@router.get("", response_model=StaffList, responses=error_responses(described={404: _NOT_FOUND}))
async def list_staff(caller: HallReader, book: BookDep, site: SiteParam) -> StaffList:
    check_site(caller, site, f"site {site!r}")
    return StaffList(site=site, items=await book.list(site))


@router.post(
    "",
    response_model=StaffOut,
    status_code=201,
    responses=error_responses(
        400, 413, described={404: _NOT_FOUND, 409: "the staff number exists at the site"}
    ),
)
async def create_staff(
    caller: HallConfigurer, book: BookDep, request: Request, site: SiteParam, body: StaffCreateIn
) -> StaffOut:
    check_site(caller, site, f"site {site!r}")
    return await book.create(site, body, caller.actor, client_ip(request))


@router.put(
    "/{staff_no}",
    response_model=StaffOut,
    responses=error_responses(400, 413, described={404: _NOT_FOUND}),
)
async def update_staff(
    caller: HallConfigurer,
    book: BookDep,
    request: Request,
    site: SiteParam,
    staff_no: StaffNo,
    body: StaffIn,
) -> StaffOut:
    check_site(caller, site, f"site {site!r}")
    return await book.update(site, staff_no, body, caller.actor, client_ip(request))


@router.delete(
    "/{staff_no}", status_code=204, responses=error_responses(described={404: _NOT_FOUND})
)
async def delete_staff(
    caller: HallConfigurer, book: BookDep, request: Request, site: SiteParam, staff_no: StaffNo
) -> Response:
    check_site(caller, site, f"site {site!r}")
    await book.delete(site, staff_no, caller.actor, client_ip(request))
    return Response(status_code=204)


@router.put(
    "/{staff_no}/photo",
    response_model=StaffOut,
    responses=error_responses(
        described={
            404: _NOT_FOUND,
            413: "the photo is larger than KFLEET_HALL_PHOTO_MAX_BYTES",
            415: "the file is not a PNG, JPEG or WebP photograph",
            422: "the photo is corrupt or has too many pixels",
        }
    ),
)
async def set_photo(
    caller: HallConfigurer,
    book: BookDep,
    content: ContentDep,
    request: Request,
    site: SiteParam,
    staff_no: StaffNo,
    file: Annotated[
        UploadFile,
        File(description="the photo: PNG, JPEG or WebP", json_schema_extra={"format": "binary"}),
    ],
) -> StaffOut:
    """Multipart field ``file``; checked like a floor plan (raster only), stored as a blob."""
    check_site(caller, site, f"site {site!r}")
    data = await file.read(content.photo_limits.max_bytes + 1)
    return await book.set_photo(site, staff_no, data, caller.actor, client_ip(request))
