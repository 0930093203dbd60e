"""A citizen proves who they are at a kiosk: ``POST /api/v1/kiosk/identity/otp`` texts a
one-time code to the phone on file for the card just read; ``POST /api/v1/kiosk/identity/verify``
turns a right code into an identity token (10 minutes, this kiosk, this card). Device
credentials only; the rules are in ``cloud.kiosk.otp`` and docs/kiosk-queries.md."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from cloud.api.auth_deps import DeviceCaller
from cloud.api.enrollment import described
from cloud.api.kiosk_deps import KioskParts
from cloud.api.strict_json import StrictJsonRoute
from cloud.kiosk.errors import KioskError
from cloud.kiosk.otp import OtpService
from cloud.kiosk.parts import Kiosk
from cloud.schemas import _In
from protocols.idcard.text import is_valid_id_number

router = APIRouter(tags=["kiosk"], route_class=StrictJsonRoute)
_DEVICE = {
    401: "no device credentials, or wrong or revoked ones (code says which)",
    403: "device_only: the caller is not a device",
}
_OTP_ERRORS = described(
    400,
    413,
    422,
    500,
    said={
        **_DEVICE,
        422: "id_number_invalid (the check digit is wrong), identity_not_on_file (no such "
        "person, name mismatch, or no phone on file), or an invalid body",
        429: "otp_rate_limited: too many codes for this phone (one a minute, five an hour)",
        503: "identity_unavailable (the identity platform) or otp_not_sent (the SMS gateway)",
    },
)
_VERIFY_ERRORS = described(
    400,
    413,
    422,
    500,
    said={
        **_DEVICE,
        404: "otp_unknown: no such code request at this kiosk",
        422: "otp_wrong (tries left in the message), otp_locked, otp_expired, otp_used, "
        "otp_superseded, or an invalid body",
    },
)


class IdNumberInvalid(KioskError):
    code = "id_number_invalid"


class OtpIn(_In):
    id_number: Annotated[str, Field(pattern=r"^[0-9]{17}[0-9Xx]$")]
    name: Annotated[str, Field(min_length=1, max_length=64)]


class OtpOut(BaseModel):
    otp_id: str
    #: ``138****5678``: the citizen recognises it, a bystander learns nothing
    phone_masked: str
    expires_at: datetime


class VerifyIn(_In):
    otp_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    code: Annotated[str, Field(pattern=r"^[0-9]{6}$")]


class VerifyOut(BaseModel):
    identity_token: str
    expires_at: datetime


def _otp(kiosk: Kiosk) -> OtpService:
    assert kiosk.otp is not None, "build_kiosk always builds the one-time code service"
    return kiosk.otp


@router.post(
    "/api/v1/kiosk/identity/otp", status_code=201, response_model=OtpOut, responses=_OTP_ERRORS
)
async def send_code(body: OtpIn, caller: DeviceCaller, kiosk: KioskParts) -> OtpOut:
    """Text a one-time code to the phone on file for this card."""
    if not is_valid_id_number(body.id_number.upper()):
        raise IdNumberInvalid(
            "the ID number's check digit is wrong",
            "身份证号码有误，请核对后重新输入或重新读卡。",
            "The ID number is not valid. Please check it or read the card again.",
        )
    sent = await _otp(kiosk).send(caller.name, body.id_number, body.name)
    return OtpOut(otp_id=sent.otp_id, phone_masked=sent.phone_masked, expires_at=sent.expires_at)


@router.post("/api/v1/kiosk/identity/verify", response_model=VerifyOut, responses=_VERIFY_ERRORS)
async def verify_code(body: VerifyIn, caller: DeviceCaller, kiosk: KioskParts) -> VerifyOut:
    """The identity token for a right code (good once, 5 tries, 5 minutes, this kiosk)."""
    grant = await _otp(kiosk).verify(caller.name, body.otp_id, body.code)
    return VerifyOut(identity_token=grant.identity_token, expires_at=grant.expires_at)
