"""高龄补贴 at the kiosk (docs/kiosk-elderly.md): ``GET /api/v1/kiosk/elderly/form`` (the
青海省高龄补贴登记表 as citizens fill it now), ``POST .../registrations`` (register at the 民政局,
print the receipt), ``POST .../certifications`` (randomised actions and a challenge for the
card read at this kiosk), ``POST .../certifications/verify`` (the clip to the face-verification
service; the answer). Device credentials only.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictBool, StrictInt

from cloud.api.auth_deps import DeviceCaller
from cloud.api.enrollment import described
from cloud.api.kiosk_deps import KioskParts
from cloud.api.strict_json import StrictJsonRoute
from cloud.kiosk.elderly import ElderlyService
from cloud.kiosk.elderly_cert import CertService, ClipInvalid
from cloud.kiosk.parts import Kiosk
from cloud.schemas import _In
from protocols.eform import FIELD_KEY_RE, FormDef
from protocols.guide import CLOSED, PLAIN

router = APIRouter(tags=["kiosk"], route_class=StrictJsonRoute)

_DEVICE = {
    401: "no device credentials, or wrong or revoked ones (code says which)",
    403: "device_only: the caller is not a device",
}
_DEPARTMENT = {
    502: "department_auth_failed or department_bad_answer (the 民政局)",
    503: "department_unavailable, department_maintenance or department_not_configured",
    504: "department_timeout: the 民政局 did not answer in time",
}
_FORM_ERRORS = described(500, said={**_DEVICE, 503: "form_not_available"})
_REGISTER_ERRORS = described(
    400,
    413,
    500,
    said={
        **_DEVICE,
        **_DEPARTMENT,
        422: "form_invalid (the first problem in citizen_message), elderly_not_eligible "
        "(under 70: the age and the day they turn 70), department_refused (already "
        "registered, bank card refused...), or an invalid body",
        503: f"{_DEPARTMENT[503]}, or form_not_available",
    },
)
_START_ERRORS = described(
    400,
    413,
    500,
    said={
        **_DEVICE,
        422: "elderly_not_eligible (under 70), form_invalid (not a valid ID number), or an "
        "invalid body",
    },
)
_VERIFY_ERRORS = described(
    400,
    413,
    500,
    said={
        **_DEVICE,
        409: "challenge_refused: expired, used already, or issued to another kiosk or card",
        422: "face_clip_rejected (record again), department_refused (not registered), "
        "clip_invalid, or an invalid body",
        502: "face_verify_failed or a department's bad answer",
        503: "face_verify_unavailable, face_verify_not_configured, or the 民政局 unavailable",
        504: "face_verify_timeout or department_timeout",
    },
)

IdNumber = Annotated[str, Field(pattern=r"^[0-9]{17}[0-9Xx]$")]
Name = Annotated[str, Field(min_length=1, max_length=30, pattern=PLAIN)]
FieldText = Annotated[str, Field(max_length=200, pattern=PLAIN)]
FieldKey = Annotated[str, Field(pattern=FIELD_KEY_RE)]


class RegistrationIn(_In):
    #: the filled 青海省高龄补贴登记表 (the card's fields put in by the kiosk's agent)
    data: Annotated[
        dict[FieldKey, FieldText | StrictBool | StrictInt],
        Field(max_length=40, json_schema_extra=CLOSED),
    ]


class RegisteredOut(BaseModel):
    application_no: str
    status: str
    accepted_at: str
    tier: str
    #: the receipt's print job on this kiosk ("" when it could not print)
    job_id: str


class CardIn(_In):
    id_number: IdNumber
    name: Name


class ChallengeOut(BaseModel):
    #: give it back with the clip (signed, single use)
    challenge: str
    #: in order: blink, mouth, left, right
    actions: list[str]
    #: seconds the kiosk allows for each action
    seconds: int
    expires_in_s: int


class VerifyIn(CardIn):
    challenge: Annotated[str, Field(min_length=1, max_length=1000, pattern=r"^[A-Za-z0-9_.-]+$")]
    #: the clip (an MJPEG AVI), base64
    clip: Annotated[str, Field(min_length=4, max_length=1_000_000, pattern=r"^[A-Za-z0-9+/=]+$")]


class CertOut(BaseModel):
    #: pass, mismatch or not_live
    result: str
    citizen_message: str
    citizen_message_en: str
    certification_no: str
    next_due: str
    job_id: str


def _elderly(kiosk: Kiosk) -> ElderlyService:
    assert kiosk.elderly is not None, "build_kiosk always builds the elderly service"
    return kiosk.elderly


def _cert(kiosk: Kiosk) -> CertService:
    assert kiosk.elderly_cert is not None, "build_kiosk always builds the certification"
    return kiosk.elderly_cert


@router.get("/api/v1/kiosk/elderly/form", response_model=FormDef, responses=_FORM_ERRORS)
async def elderly_form(caller: DeviceCaller, kiosk: KioskParts) -> FormDef:
    """The registration form as citizens fill it now."""
    return await _elderly(kiosk).form()


@router.post(
    "/api/v1/kiosk/elderly/registrations",
    status_code=201,
    response_model=RegisteredOut,
    responses=_REGISTER_ERRORS,
)
async def register(body: RegistrationIn, caller: DeviceCaller, kiosk: KioskParts) -> RegisteredOut:
    """Check the form and the age, register at the 民政局, print the receipt here."""
    done = await _elderly(kiosk).register(caller, body.data)
    return RegisteredOut(**done.__dict__)


@router.post(
    "/api/v1/kiosk/elderly/certifications",
    status_code=201,
    response_model=ChallengeOut,
    responses=_START_ERRORS,
)
async def start_certification(
    body: CardIn, caller: DeviceCaller, kiosk: KioskParts
) -> ChallengeOut:
    """Randomised actions for the card read at this kiosk, and the challenge to send back."""
    c = _cert(kiosk).start(caller, body.id_number, body.name)
    return ChallengeOut(
        challenge=c.token, actions=c.actions, seconds=c.seconds, expires_in_s=c.expires_in_s
    )


@router.post(
    "/api/v1/kiosk/elderly/certifications/verify",
    response_model=CertOut,
    responses=_VERIFY_ERRORS,
)
async def verify_certification(body: VerifyIn, caller: DeviceCaller, kiosk: KioskParts) -> CertOut:
    """The clip to the face-verification service; on a pass, recorded at the 民政局."""
    try:
        clip = base64.b64decode(body.clip, validate=True)
    except (binascii.Error, ValueError):
        raise ClipInvalid(
            "the clip is not base64",
            "视频上传有误，请重新认证。",
            "The video did not arrive whole. Please try again.",
        ) from None
    r = await _cert(kiosk).verify(caller, body.challenge, body.id_number, body.name, clip)
    return CertOut(
        result=r.result,
        citizen_message=r.message,
        citizen_message_en=r.message_en,
        certification_no=r.certification_no,
        next_due=r.next_due,
        job_id=r.job_id,
    )
