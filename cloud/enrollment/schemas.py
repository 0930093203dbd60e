"""REST bodies of the operator side of enrollment (the device side is
:mod:`protocols.enrollment`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cloud.schemas import DEVICE_ID_PATTERN, SITE_PATH_PATTERN
from protocols.messages import Role

#: bounds of a token's lifetime (seconds): a minute to ninety days
TTL_MIN_S = 60
TTL_MAX_S = 90 * 24 * 3600


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenState(StrEnum):
    UNUSED = "unused"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


class TokenMint(_In):
    """``POST /api/v1/enrollment-tokens``."""

    site: Annotated[str, Field(pattern=SITE_PATH_PATTERN, examples=["qh/hx/golmud/hhl"])]
    role: Role
    #: a planned device: the token enrolls exactly this id (and name); else the device says
    device_id: Annotated[str | None, Field(pattern=DEVICE_ID_PATTERN)] = None
    name: Annotated[str, Field(max_length=128)] = ""
    #: lifetime; unset: KFLEET_ENROLLMENT_TOKEN_TTL_S
    ttl_s: Annotated[int | None, Field(ge=TTL_MIN_S, le=TTL_MAX_S)] = None


class TokenOut(BaseModel):
    """A token as listed: never its secret (only its hash is stored)."""

    id: str
    site: str
    role: Role
    device_id: str
    name: str
    state: TokenState
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by_device: str | None
    revoked_at: datetime | None


class TokenMinted(TokenOut):
    """The mint's answer: the only time the token text exists outside the device."""

    token: str
    #: what the QR code holds: kfleet-enroll:?cloud=<url>&token=<token>
    qr_text: str
    #: the QR code as an SVG document, made now: it cannot be made again later
    qr_svg: str


class TokenList(BaseModel):
    items: list[TokenOut]


class DeviceRevoke(_In):
    """``POST /api/v1/devices/{id}/revoke``."""

    reason: Annotated[str, Field(min_length=1, max_length=256)]


class DeviceRevoked(BaseModel):
    device_id: str
    site: str
    revoked_at: datetime
    reason: str
    credentials_revoked: int
    #: device-targeted jobs failed with reason device_revoked
    jobs_failed: list[str]
    #: site-targeted jobs back in their site's queue
    jobs_requeued: list[str]
    #: site-targeted print jobs it was running: an operator decides (uncertain)
    jobs_uncertain: list[str]
