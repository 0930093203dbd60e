"""Self-service applications (自助申报) for kiosks (docs/kiosk-apply.md):

- ``PUT /api/v1/kiosk/apply/materials/{sha256}`` — one scanned page (JPEG, PNG or PDF) kept
  as a blob under this device's identity;
- ``POST /api/v1/kiosk/apply/form`` — the e-form the citizen fills for an item and situation;
- ``POST /api/v1/kiosk/apply/applications`` — the application: checked, filed with the city
  政务服务平台 with its pages, a receipt printed on this kiosk (purpose ``application``).

Device credentials only. Every error carries ``citizen_message`` and ``citizen_message_en``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field, StrictBool, StrictFloat, StrictInt

from cloud.api.auth_deps import DeviceCaller
from cloud.api.blobs import BLOB_REQUEST_BODY
from cloud.api.enrollment import described
from cloud.api.kiosk_deps import KioskParts
from cloud.api.strict_json import StrictJsonRoute
from cloud.kiosk.apply import ApplicationRequest, ApplyService, MaterialPages
from cloud.kiosk.apply_errors import ApplyNotConfigured, MaterialRefused
from cloud.kiosk.parts import Kiosk
from cloud.schemas import _In
from protocols.eform import FIELD_KEY_RE, FormDef
from protocols.guide import CLOSED, CODE_RE, PLAIN

router = APIRouter(tags=["kiosk"], route_class=StrictJsonRoute)
SHA256 = r"^[0-9a-f]{64}$"
#: a scanned page is at most this large (a 1080p JPEG is 0.2 to 0.6 MB)
MAX_PAGE_BYTES = 10 * 1024 * 1024
_DEVICE = {
    401: "no device credentials, or wrong or revoked ones (code says which)",
    403: "device_only: the caller is not a device",
}
_PLATFORM = {
    502: "city_platform_auth_failed, city_platform_bad_answer or city_platform_error",
    503: "apply_not_configured, guide_not_published, city_platform_unavailable or "
    "city_platform_maintenance",
    504: "city_platform_timeout: the platform did not answer in time",
}
_PUT_ERRORS = described(
    400,
    500,
    507,
    said={
        **_DEVICE,
        413: "a page larger than 10 MB, or than KFLEET_BLOB_MAX_BYTES",
        422: "material_refused (not a JPEG, PNG or PDF), or the body does not hash to the "
        "sha256 in the path",
    },
)
_FORM_ERRORS = described(
    400,
    413,
    500,
    said={
        **_DEVICE,
        404: "guide_item_unknown: the published catalogue has no such item",
        422: "an invalid body",
        503: "guide_not_published",
    },
)
_SUBMIT_ERRORS = described(
    400,
    413,
    500,
    said={
        **_DEVICE,
        **_PLATFORM,
        404: "guide_item_unknown: the published catalogue has no such item",
        409: "material_missing (a page not uploaded by this kiosk, or expired) or form_changed "
        "(a newer version of the form is current)",
        422: "application_incomplete, form_invalid (the first problem in citizen_message), "
        "id_number_invalid, apply_refused (the platform's own refusal), or an invalid body",
    },
)

Code = Annotated[str, Field(pattern=CODE_RE)]
Sha256 = Annotated[str, Field(pattern=SHA256)]
FieldValue = (
    Annotated[str, Field(max_length=500, pattern=PLAIN)] | StrictBool | StrictInt | StrictFloat
)


class PageStored(BaseModel):
    sha256: str
    size: int


class FormIn(_In):
    item: Code
    #: question code → option code (the situation answered on the kiosk)
    answers: Annotated[
        dict[Code, Code], Field(default_factory=dict, max_length=40, json_schema_extra=CLOSED)
    ]


class MaterialIn(_In):
    code: Code
    #: the pages' sha256, in order, each uploaded first with ``PUT .../materials/{sha256}``
    pages: Annotated[list[Sha256], Field(max_length=20)]


class ApplicationIn(_In):
    #: the kiosk's own id for this application: the same id again answers the same case
    request_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{6,64}$")]
    item: Code
    answers: Annotated[
        dict[Code, Code], Field(default_factory=dict, max_length=40, json_schema_extra=CLOSED)
    ]
    #: the applicant, from the ID card read at the kiosk (the agent fills it, not the browser)
    id_number: Annotated[str, Field(pattern=r"^[0-9]{17}[0-9X]$")]
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=PLAIN)]
    form_code: Code
    form_version: Annotated[StrictInt, Field(ge=1)]
    form_data: Annotated[
        dict[Annotated[str, Field(pattern=FIELD_KEY_RE)], FieldValue],
        Field(max_length=60, json_schema_extra=CLOSED),
    ]
    materials: Annotated[list[MaterialIn], Field(min_length=1, max_length=50)]


class ApplicationOut(BaseModel):
    case_no: str
    #: the platform's acceptance time (China time, ``YYYY-MM-DD HH:MM:SS``)
    accepted_at: str
    #: the platform's public page of the case (the receipt's QR)
    follow_url: str
    #: the receipt's ``print_receipt`` job; None when this kiosk cannot print now
    job_id: str | None
    #: set when the receipt could not be printed: the application stands all the same
    print_problem: str | None = None
    print_problem_en: str | None = None


def _apply(kiosk: Kiosk) -> ApplyService:
    if kiosk.apply is None:
        raise ApplyNotConfigured()
    return kiosk.apply


@router.put(
    "/api/v1/kiosk/apply/materials/{sha256}",
    status_code=201,
    response_model=PageStored,
    openapi_extra={"requestBody": BLOB_REQUEST_BODY},
    responses={200: {"description": "the page was already stored"}, **_PUT_ERRORS},
)
async def put_page(
    sha256: Annotated[str, Path(pattern=SHA256)],
    request: Request,
    response: Response,
    caller: DeviceCaller,
    kiosk: KioskParts,
) -> PageStored:
    """Keep one scanned material page, sent by this kiosk, for its application."""
    content = bytearray()
    async for chunk in request.stream():
        content += chunk
        if len(content) > MAX_PAGE_BYTES:
            raise MaterialRefused(f"a page is at most {MAX_PAGE_BYTES} bytes")
    info = await _apply(kiosk).store_page(caller, sha256, bytes(content))
    if not info.created:
        response.status_code = 200
    return PageStored(sha256=info.sha256, size=info.size)


@router.post("/api/v1/kiosk/apply/form", response_model=FormDef, responses=_FORM_ERRORS)
async def apply_form(body: FormIn, caller: DeviceCaller, kiosk: KioskParts) -> FormDef:
    """The e-form of the item for these answers (the item's own, or the general one)."""
    return await _apply(kiosk).form_for(body.item, dict(body.answers))


@router.post(
    "/api/v1/kiosk/apply/applications",
    status_code=201,
    response_model=ApplicationOut,
    responses=_SUBMIT_ERRORS,
)
async def submit_application(
    body: ApplicationIn, caller: DeviceCaller, kiosk: KioskParts
) -> ApplicationOut:
    """File the application with the city platform and print its receipt on this kiosk."""
    req = ApplicationRequest(
        request_id=body.request_id,
        item=body.item,
        answers=dict(body.answers),
        id_number=body.id_number,
        name=body.name,
        form_code=body.form_code,
        form_version=body.form_version,
        form_data=dict(body.form_data),
        materials=[MaterialPages(m.code, list(m.pages)) for m in body.materials],
    )
    done = await _apply(kiosk).submit(caller, req)
    problem = done.print_problem or (None, None)
    return ApplicationOut(
        case_no=done.case_no,
        accepted_at=done.accepted_at,
        follow_url=done.follow_url,
        job_id=done.job_id,
        print_problem=problem[0],
        print_problem_en=problem[1],
    )
