"""Device-facing routes authenticated by the device's own credentials (HTTP Basic)."""

from __future__ import annotations

from fastapi import APIRouter

from cloud.api.auth_deps import DeviceCaller
from cloud.api.enrollment import BROKER, EnrollmentDep, described
from cloud.api.strict_json import StrictJsonRoute
from protocols.enrollment import ROTATE_PATH, SELF_PATH, DeviceSelf, RotateResponse

router = APIRouter(
    tags=["device"],
    responses=described(
        500,
        said={
            401: "no device credentials, or wrong or revoked ones (code says which)",
            403: "the caller is not a device",
        },
    ),
    route_class=StrictJsonRoute,
)


@router.get(SELF_PATH, response_model=DeviceSelf)
async def device_self(caller: DeviceCaller, service: EnrollmentDep) -> DeviceSelf:
    """What the cloud knows of the calling device (``kfleet provision status``)."""
    return await service.credentials.describe(caller)


@router.post(ROTATE_PATH, response_model=RotateResponse, responses=described(said=BROKER))
async def rotate(caller: DeviceCaller, service: EnrollmentDep) -> RotateResponse:
    """New credentials: the broker takes the new password at once (reconnect with it); the
    old one keeps working over HTTP until ``old_valid_until_ms``."""
    return await service.credentials.rotate(caller)
