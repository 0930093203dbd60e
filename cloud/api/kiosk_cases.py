"""Case progress (办件查询) for a kiosk: ``POST /api/v1/kiosk/cases/lookup`` (by ID number or
case number, from the city 政务服务平台) and ``POST /api/v1/kiosk/cases/{case_no}/print`` (the
timeline on this kiosk's receipt printer).

The kiosk is its device credentials (HTTP Basic). Every error carries ``citizen_message`` and
``citizen_message_en``, the sentences the kiosk shows. The applicant's name is masked here:
the screen is in a public hall.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from cloud.api.auth_deps import DeviceCaller
from cloud.api.enrollment import described
from cloud.api.kiosk_deps import KioskParts
from cloud.api.strict_json import StrictJsonRoute
from cloud.kiosk.cases import CaseService
from cloud.kiosk.city_platform import Case
from cloud.kiosk.city_platform_errors import CityPlatformNotConfigured
from cloud.schemas import _In
from protocols.idcard.text import mask_name

router = APIRouter(tags=["kiosk"], route_class=StrictJsonRoute)
CASE_NO = r"^[A-Za-z0-9-]{6,40}$"
_PLATFORM = {
    502: "the city platform refused our credentials or answered something unreadable "
    "(city_platform_auth_failed, city_platform_bad_answer, city_platform_error)",
    503: "the city platform is unreachable, under maintenance, or not configured "
    "(city_platform_unavailable, city_platform_maintenance, city_platform_not_configured)",
    504: "the city platform did not answer in time (city_platform_timeout)",
}
_AUTH = {
    401: "no device credentials, or wrong or revoked ones (code says which)",
    403: "the caller is not a device (code device_only)",
}
_LOOKUP_ERRORS = described(
    400,
    413,
    500,
    said={
        **_AUTH,
        404: "case_not_found: the platform has no case with this number",
        422: "id_number_invalid (not 18 characters, or the GB 11643 check digit is wrong: "
        "the platform is not asked), lookup_needs_one, case_refused (the platform's own "
        "refusal, e.g. a classified case), or an invalid body",
        **_PLATFORM,
    },
)
_PRINT_ERRORS = described(
    400,
    413,
    500,
    said={
        **_AUTH,
        404: "case_not_found, or the kiosk's device is not registered",
        409: "no_receipt_printer: this kiosk has no working receipt printer",
        422: "case_refused, or an invalid body or case number",
        **_PLATFORM,
    },
)


class CaseLookupIn(_In):
    #: 18 characters; checked with the GB 11643 check digit (a wrong one is 422
    #: ``id_number_invalid`` with a sentence for the citizen)
    id_number: Annotated[str | None, Field(max_length=32)] = None
    case_no: Annotated[str | None, Field(pattern=CASE_NO)] = None
    page: Annotated[int, Field(ge=1, le=100)] = 1


class CaseStepOut(BaseModel):
    code: str
    name: str
    at: datetime | None
    department: str
    result: str
    opinion: str


class CaseOut(BaseModel):
    case_no: str
    item: str
    department: str
    hall: str
    #: 张* (masked: the screen is in a public hall)
    applicant: str
    #: the platform's status code (SL, SC, JD, BJ, SD, BZ, BYSL...) and its name
    status: str
    status_name: str
    #: the status in English for the kiosk's English screens
    status_name_en: str
    accepted_at: datetime | None
    promised_at: datetime | None
    finished_at: datetime | None
    steps: list[CaseStepOut]


class CaseLookupOut(BaseModel):
    by: str
    cases: list[CaseOut]
    total: int
    page: int
    pages: int


class CasePrintIn(_In):
    #: the kiosk's own id for this press: the same id again answers the same job
    request_id: Annotated[str | None, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] = None


class CasePrintOut(BaseModel):
    case_no: str
    #: the ``print_receipt`` job printing the timeline on this kiosk
    job_id: str


STATUS_EN = {
    "SL": "Accepted",
    "SC": "Under review",
    "JD": "Decided",
    "BJ": "Completed",
    "SD": "Delivered",
    "BZ": "More material needed",
    "BYSL": "Not accepted",
    "SM": "Not shown (classified)",
}


def case_out(case: Case) -> CaseOut:
    steps = [
        CaseStepOut(
            code=s.code,
            name=s.name,
            at=s.at,
            department=s.department,
            result=s.result,
            opinion=s.opinion,
        )
        for s in case.steps
    ]
    return CaseOut(
        case_no=case.case_no,
        item=case.item,
        department=case.department,
        hall=case.hall,
        applicant=mask_name(case.applicant) if case.applicant else "",
        status=case.status,
        status_name=case.status_name,
        status_name_en=STATUS_EN.get(case.status, case.status_name),
        accepted_at=case.accepted_at,
        promised_at=case.promised_at,
        finished_at=case.finished_at,
        steps=steps,
    )


def _cases(kiosk: KioskParts) -> CaseService:
    if kiosk.cases is None:
        raise CityPlatformNotConfigured()
    return kiosk.cases


@router.post("/api/v1/kiosk/cases/lookup", response_model=CaseLookupOut, responses=_LOOKUP_ERRORS)
async def lookup_cases(
    body: CaseLookupIn, caller: DeviceCaller, kiosk: KioskParts
) -> CaseLookupOut:
    """A citizen's cases by ID number (paged, newest first), or one case by its number, each
    with its timeline."""
    got = await _cases(kiosk).lookup(body.id_number, body.case_no, body.page)
    return CaseLookupOut(
        by="id_number" if body.id_number is not None else "case_no",
        cases=[case_out(c) for c in got.cases],
        total=got.total,
        page=got.page,
        pages=got.pages,
    )


@router.post(
    "/api/v1/kiosk/cases/{case_no}/print",
    status_code=201,
    response_model=CasePrintOut,
    responses=_PRINT_ERRORS,
)
async def print_case(
    case_no: Annotated[str, Path(pattern=CASE_NO)],
    body: CasePrintIn,
    caller: DeviceCaller,
    kiosk: KioskParts,
) -> CasePrintOut:
    """Print the case's timeline on this kiosk's receipt printer (a ``print_receipt`` job)."""
    job_id = await _cases(kiosk).print_case(caller, case_no, body.request_id or "")
    return CasePrintOut(case_no=case_no.upper(), job_id=job_id)
