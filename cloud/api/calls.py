"""Peripheral calls: ask a device's peripheral to act now, then watch for its answer.

``POST /api/v1/devices/{device}/peripherals/{peripheral}/actions/{action}`` with the action's
arguments as the JSON body answers 202 with the call (``Location`` names it);
``GET /api/v1/calls/{id}?wait_s=…`` long-polls until it settles.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status

from cloud.api.deps import CallServiceDep, PathId
from cloud.api.errors import error_responses
from cloud.api.strict_json import StrictJsonRoute
from cloud.schemas import CallOut

router = APIRouter(
    prefix="/api/v1",
    tags=["peripheral calls"],
    responses=error_responses(422, 500),
    route_class=StrictJsonRoute,
)

#: Longest long-poll; clients loop for longer waits (a rating may take minutes).
MAX_WAIT_S = 60.0


@router.post(
    "/devices/{device_id}/peripherals/{peripheral}/actions/{action}",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CallOut,
    responses=error_responses(
        400,
        413,
        described={
            404: "no such device, or no such peripheral on it",
            409: "the device is offline (calls are not queued)",
            422: "the peripheral has no such action, or the arguments are bad",
            503: "the cloud is not connected to the broker",
        },
    ),
)
async def call_action(
    device_id: PathId,
    peripheral: PathId,
    action: PathId,
    calls: CallServiceDep,
    response: Response,
    args: Annotated[dict[str, Any] | None, Body(examples=[{"button": 1, "mode": "blink"}])] = None,
) -> CallOut:
    """Send the call now. Actions: a ``call_button`` has ``set_led`` (``button``, ``mode``:
    off/on/blink) and ``beep`` (``ms``, ``count``); a ``rating_pad`` has ``request_rating``
    (``case_no``, ``window``, ``staff``, ``timeout_s``), whose result is the rating."""
    call = await calls.create(device_id, peripheral, action, args or {})
    response.headers["Location"] = f"/api/v1/calls/{call.id}"
    return call


@router.get(
    "/calls/{call_id}",
    response_model=CallOut,
    responses=error_responses(described={404: "no such call"}),
)
async def get_call(
    call_id: PathId,
    calls: CallServiceDep,
    wait_s: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_WAIT_S,
            allow_inf_nan=False,
            description="wait up to this long for it to settle",
        ),
    ] = 0,
) -> CallOut:
    return await calls.get(call_id, wait_s)
