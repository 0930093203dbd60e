"""Enrollment over REST: tokens (operators), the token exchange (devices), device revoke.

``POST /api/v1/enroll`` is public: the one-time token in its body is the credential. Its
refusals each carry their own ``code`` (docs/provisioning.md):

| code | status | meaning |
|---|---|---|
| token_malformed | 422 | not ``kfe_<16 hex>_<43 chars>`` |
| device_id_missing | 422 | the token names no device and the request proposes none |
| token_unknown | 401 | no such token, or the secret is wrong |
| token_used | 409 | used already (says when and by which device) |
| token_expired | 410 | past its expiry |
| token_revoked | 410 | revoked by an operator |
| site_gone | 410 | its site no longer exists |
| device_conflict | 409 | that device id is enrolled (not revoked) at another site |
| broker_unavailable | 503 | the broker did not take the identity; nothing changed |
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field

from cloud.api.auth_deps import client_ip, require
from cloud.api.deps import DevicePathId
from cloud.api.errors import error_responses
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.enrollment.schemas import (
    DeviceRevoke,
    DeviceRevoked,
    TokenList,
    TokenMint,
    TokenMinted,
    TokenOut,
    TokenState,
)
from cloud.enrollment.service import Enrollment
from cloud.schemas import SITE_PATH_PATTERN, ErrorBody
from fleet.access import Permission
from protocols.enrollment import ENROLL_PATH, ENROLLMENT_TOKEN_RE, EnrollRequest, EnrollResponse


async def get_enrollment(request: Request) -> Enrollment:
    enrollment: Enrollment = request.app.state.parts.enrollment
    return enrollment


EnrollmentDep = Annotated[Enrollment, Depends(get_enrollment)]
Enroller = Annotated[Principal, Depends(require(Permission.DEVICES_ENROLL))]
Revoker = Annotated[Principal, Depends(require(Permission.DEVICES_REVOKE))]
TokenId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="the token's id")]

router = APIRouter(
    tags=["enrollment"],
    responses=error_responses(422, 500),
    route_class=StrictJsonRoute,
)

#: what the operator routes answer when the caller may not (described here: 401 has no
#: generic description)
AUTH = {
    401: "no credentials, or wrong, expired or revoked ones (code says which)",
    403: "the caller's role lacks the permission",
}
BROKER = {503: "broker_unavailable: the broker did not take the change; nothing changed"}


def described(*statuses: int, said: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """``error_responses`` plus statuses it has no generic description of (401, 410)."""
    return {
        **error_responses(*statuses),
        **{s: {"model": ErrorBody, "description": d} for s, d in said.items()},
    }


class EnrollBody(EnrollRequest):
    """:class:`EnrollRequest` whose schema shows the token's form; a token of another form is
    still read and answered 422 ``token_malformed`` (not a generic validation error), so a
    CLI can map it to its exit code."""

    token: Annotated[
        str, Field(max_length=100, json_schema_extra={"pattern": ENROLLMENT_TOKEN_RE.pattern})
    ]


_EXCHANGE_ERRORS = {
    401: "token_unknown: no such token, or its secret is wrong",
    409: "token_used (when, by which device) or device_conflict",
    410: "token_expired, token_revoked or site_gone",
    422: "token_malformed, device_id_missing, or an invalid body",
    503: "broker_unavailable: the broker did not take the identity; nothing changed",
}


@router.post(
    "/api/v1/enrollment-tokens",
    status_code=201,
    response_model=TokenMinted,
    responses=described(400, 404, 413, said=AUTH),
)
async def mint_token(body: TokenMint, caller: Enroller, service: EnrollmentDep) -> TokenMinted:
    """A one-time token enrolling one device at ``site`` as ``role``.

    The answer carries the token text, its QR code's text and the QR code as SVG: this is the
    only time they exist (the cloud keeps a hash), so show or print them now."""
    return await service.tokens.mint(caller, body)


@router.get(
    "/api/v1/enrollment-tokens",
    response_model=TokenList,
    responses=described(said=AUTH),
)
async def list_tokens(
    caller: Enroller,
    service: EnrollmentDep,
    site: Annotated[str | None, Query(pattern=SITE_PATH_PATTERN)] = None,
    state: TokenState | None = None,
) -> TokenList:
    """Tokens of the caller's subtree, newest first (at most 500), with their state."""
    return TokenList(items=await service.tokens.list(caller, site, state))


@router.post(
    "/api/v1/enrollment-tokens/{token_id}/revoke",
    response_model=TokenOut,
    responses=described(404, 409, said=AUTH),
)
async def revoke_token(token_id: TokenId, caller: Enroller, service: EnrollmentDep) -> TokenOut:
    """An unused token stops working; a used one is refused (revoke its device instead)."""
    return await service.tokens.revoke(caller, token_id)


@router.post(
    ENROLL_PATH,
    response_model=EnrollResponse,
    responses=described(400, 413, said=_EXCHANGE_ERRORS),
)
async def enroll(body: EnrollBody, request: Request, service: EnrollmentDep) -> EnrollResponse:
    """A device trades its one-time token for its identity: username = device id, a new
    random password (MQTT and HTTP Basic), the broker URL and the cloud's clock.

    Public: the token is the credential. Single use, even under concurrent requests."""
    return await service.exchange.enroll(body, client_ip(request))


@router.post(
    "/api/v1/devices/{device_id}/revoke",
    response_model=DeviceRevoked,
    responses=described(400, 404, 413, said={**AUTH, **BROKER}),
)
async def revoke_device(
    device_id: DevicePathId, body: DeviceRevoke, caller: Revoker, service: EnrollmentDep
) -> DeviceRevoked:
    """Cut a device off now: credentials revoked, kicked off the broker and refused on
    reconnect, its own unfinished jobs failed (``device_revoked``), the site jobs it held
    back in the site's queue (a print it was running: ``uncertain``, for an operator).
    Enrolling it again with a new token undoes this."""
    return await service.revoker.revoke(caller, device_id, body.reason)
