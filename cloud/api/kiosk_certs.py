"""Certificates (证明开具), the citizen's licences (我的电子证照) and 社会保障卡挂失/解挂 for
kiosks, under ``/api/v1/kiosk/...`` with device credentials; every call about a person carries
the identity token its one-time code granted at this kiosk and the card it was granted for
(``POST /api/v1/kiosk/identity/...``). ``GET /v/{token}``: the public verification page of a
certificate's QR code (docs/kiosk-certificates.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, StrictInt

from cloud.api.auth_deps import DeviceCaller
from cloud.api.enrollment import described
from cloud.api.kiosk_deps import KioskParts
from cloud.api.strict_json import StrictJsonRoute
from cloud.kiosk.certs_card import Action as CardAction
from cloud.kiosk.certs_common import Who
from cloud.kiosk.certs_decl import CERTIFICATES, CertDecl
from cloud.kiosk.certs_page import genuine_html, not_genuine_html
from cloud.kiosk.certs_parts import CertServices
from cloud.kiosk.departments.base import DepartmentNotConfigured
from cloud.kiosk.parts import Kiosk
from cloud.kiosk.queries_masking import mask_value
from cloud.schemas import _In

router = APIRouter(tags=["kiosk"], route_class=StrictJsonRoute)
Kind = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{2,31}$")]
Action = Annotated[str, Path(pattern=r"^(loss|unloss)$")]
_DEVICE = {
    401: "no device credentials, or wrong or revoked ones (code says which)",
    403: "device_only (the caller is not a device), or identity_required: no valid identity "
    "token for this card at this kiosk",
}
_OUTSIDE = {
    502: "department_auth_failed or department_bad_answer",
    503: "department_unavailable, department_maintenance or department_not_configured",
    504: "department_timeout: no answer within the department's timeout",
}
_RUN = {
    **_DEVICE,
    **_OUTSIDE,
    422: "department_refused (the department's own reason: no record, a dwelling registered, "
    "card already lost...) or an invalid body; citizen_message says what to do",
}
_LIST_ERRORS = described(500, said=_DEVICE)
_PREVIEW_ERRORS = described(400, 413, 500, said={**_RUN, 404: "unknown_certificate"})
_PRINT_ERRORS = described(
    400,
    413,
    500,
    said={
        **_RUN,
        404: "unknown_certificate",
        409: "no_a4_printer (this kiosk cannot print A4 now), certificate_not_printed, or "
        "request_reused (this request id was another certificate or card)",
        503: f"{_OUTSIDE[503]}; certificate_font_missing",
    },
)
_LICENCE_ERRORS = described(400, 413, 500, said=_RUN)
_CARD_ERRORS = described(
    400,
    413,
    500,
    said={
        **_RUN,
        409: "request_reused (this request id was another card or action) or "
        "certificate_not_printed (done, but no receipt: the serial is in the message)",
    },
)
Token = Annotated[str, Field(max_length=128, pattern=r"^[A-Za-z0-9_.~-]*$")]
IdNumber = Annotated[str, Field(pattern=r"^[0-9]{17}[0-9Xx]$")]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]
RequestId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{4,64}$")]


class WhoIn(_In):
    #: from ``POST /api/v1/kiosk/identity/verify``
    identity_token: Token
    #: the card read at the kiosk, which the identity token was granted for
    id_number: IdNumber
    name: Name

    def who(self) -> Who:
        return Who(self.identity_token, self.id_number, self.name)


class IssueIn(WhoIn):
    #: the kiosk's id for this print: the same id again answers the same certificate
    request_id: RequestId


class LicencesIn(WhoIn):
    page: Annotated[StrictInt, Field(ge=1, le=1000)] = 1


class CertListOut(BaseModel):
    certificates: list[CertDecl]
    #: the kinds whose department is configured
    available: list[str]
    #: whether the 电子证照库 is configured (我的电子证照)
    library: bool
    #: whether 社会保障卡挂失/解挂 is (the 人社 department)
    social_card: bool


class PreviewOut(BaseModel):
    kind: str
    #: the certificate's facts by field key, masked as each field says
    fields: dict[str, str]


class IssuedOut(BaseModel):
    number: str
    job_id: str
    #: whether the 电子证照库 has it already (else it is retried in the background)
    reported: bool


class LicenceOut(BaseModel):
    kind: str
    name: str
    #: the licence's number, masked (its last 4)
    number: str
    issuer: str
    issued_on: str
    status: str


class LicencesOut(BaseModel):
    licences: list[LicenceOut]
    total: int
    page: int
    pages: int


class CardStatusOut(BaseModel):
    card: str
    bank: str
    #: ``lost`` or ``normal``
    state: str


class CardChangedOut(BaseModel):
    serial: str
    action: str
    card: str
    state: str
    at: str
    job_id: str
    #: False when this request id was done before (no second receipt)
    printed: bool


def _certs(kiosk: Kiosk) -> CertServices:
    assert kiosk.certs is not None, "build_kiosk always builds the certificates"
    return kiosk.certs


@router.get("/api/v1/kiosk/certificates", response_model=CertListOut, responses=_LIST_ERRORS)
async def list_certificates(caller: DeviceCaller, kiosk: KioskParts) -> CertListOut:
    """Every certificate a kiosk can issue, and which can be issued now."""
    certs = _certs(kiosk).certificates
    return CertListOut(
        certificates=CERTIFICATES,
        available=[d.kind for d in CERTIFICATES if certs.available(d)],
        library=certs.library is not None,
        social_card=certs.departments.has("hrss"),
    )


@router.post(
    "/api/v1/kiosk/certificates/{kind}", response_model=PreviewOut, responses=_PREVIEW_ERRORS
)
async def preview_certificate(
    kind: Kind, body: WhoIn, caller: DeviceCaller, kiosk: KioskParts
) -> PreviewOut:
    """What the certificate will say, masked for the screen; nothing is issued."""
    fields = await _certs(kiosk).certificates.preview(caller, kind, body.who())
    return PreviewOut(kind=kind, fields=fields)


@router.post(
    "/api/v1/kiosk/certificates/{kind}/print",
    status_code=201,
    response_model=IssuedOut,
    responses=_PRINT_ERRORS,
)
async def print_certificate(
    kind: Kind, body: IssueIn, caller: DeviceCaller, kiosk: KioskParts
) -> IssuedOut:
    """Issue the certificate and print it on this kiosk's A4 printer (purpose
    ``certificate``); reported to the 电子证照库. Idempotent per ``request_id``."""
    got = await _certs(kiosk).certificates.issue(caller, kind, body.who(), body.request_id)
    return IssuedOut(number=got.number, job_id=got.job_id, reported=got.reported)


@router.post("/api/v1/kiosk/licences", response_model=LicencesOut, responses=_LICENCE_ERRORS)
async def list_licences(body: LicencesIn, caller: DeviceCaller, kiosk: KioskParts) -> LicencesOut:
    """The citizen's licences in the 电子证照库 (numbers masked), one page of 20."""
    certs = _certs(kiosk).certificates
    if certs.library is None:
        raise DepartmentNotConfigured(
            "dzzz",
            "license_library is not set",
            "电子证照查询暂未开通，请到窗口咨询。",
            "Licence look-up is not available yet. Please ask at a window.",
        )
    person = await certs.departments.person(caller, body.who())
    found, total, pages = await certs.library.licences(person, body.page)
    return LicencesOut(
        licences=[
            LicenceOut(
                kind=lic.kind,
                name=lic.name,
                number=mask_value(lic.number, "account"),
                issuer=lic.issuer,
                issued_on=lic.issued_on,
                status=lic.status,
            )
            for lic in found
        ],
        total=total,
        page=body.page,
        pages=max(1, pages),
    )


@router.post("/api/v1/kiosk/social-card", response_model=CardStatusOut, responses=_LICENCE_ERRORS)
async def social_card_status(body: WhoIn, caller: DeviceCaller, kiosk: KioskParts) -> CardStatusOut:
    """The citizen's social security card (number masked) and whether it is reported lost."""
    got = await _certs(kiosk).card.status(caller, body.who())
    return CardStatusOut(card=got.card_masked, bank=got.bank, state=got.state)


@router.post(
    "/api/v1/kiosk/social-card/{action}",
    status_code=201,
    response_model=CardChangedOut,
    responses=_CARD_ERRORS,
)
async def social_card_change(
    action: Action, body: IssueIn, caller: DeviceCaller, kiosk: KioskParts
) -> CardChangedOut:
    """Report the card lost (``loss``) or lift the loss (``unloss``), and print the receipt.
    Idempotent per ``request_id``: the same id again changes nothing and prints nothing."""
    verb: CardAction = "loss" if action == "loss" else "unloss"
    got = await _certs(kiosk).card.change(caller, body.who(), verb, body.request_id)
    return CardChangedOut(
        serial=got.serial,
        action=got.action,
        card=got.card_masked,
        state=got.state,
        at=got.at,
        job_id=got.job_id,
        printed=got.printed,
    )


@router.get("/v/{token}", include_in_schema=False, response_class=HTMLResponse)
async def verify_certificate(token: str, request: Request) -> HTMLResponse:
    """The public page of a certificate's QR code (the sealed number is the capability)."""
    headers = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
    kiosk: Kiosk = request.app.state.parts.kiosk
    verdict = None if len(token) > 200 else await _certs(kiosk).certificates.verify(token)
    if verdict is None:
        return HTMLResponse(not_genuine_html(), 404, headers)
    return HTMLResponse(genuine_html(verdict), 200, headers)
