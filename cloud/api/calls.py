"""Peripheral calls: ask a device's peripheral to act now, then watch for its answer.

``POST /api/v1/devices/{device}/peripherals/{peripheral}/actions/{action}`` — one route per
action, each documenting its own arguments (the JSON body) — answers 202 with the call
(``Location`` names it);
``GET /api/v1/calls/{id}?wait_s=…`` long-polls until it settles.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response, status

from cloud.api.callers import CallsWriter, DevicesReader
from cloud.api.deps import CallPathId, CallServiceDep, DevicePathId, PeripheralPathId
from cloud.api.errors import error_responses
from cloud.api.media_calls import checked_stream_start
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.calls import CallService
from cloud.errors import NotFound
from cloud.schemas import CallOut
from protocols.av import StreamStartArgs, StreamStopArgs
from protocols.calls import ACTIONS, BeepArgs, RequestRatingArgs, SetLedArgs

router = APIRouter(
    prefix="/api/v1",
    tags=["peripheral calls"],
    responses=error_responses(401, 403, 422, 500),
    route_class=StrictJsonRoute,
)

Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Any]])

#: Longest long-poll; clients loop for longer waits (a rating may take minutes).
MAX_WAIT_S = 60.0


#: Every action of every peripheral kind (``protocols.calls.ACTIONS``).
CallAction = StrEnum(  # type: ignore[misc]
    "CallAction", {a.upper(): a for actions in ACTIONS.values() for a in actions}
)
_CALL_PATH = "/devices/{device_id}/peripherals/{peripheral}/actions"
_CALL_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {
        "description": "sent; ``Location`` names the call",
        "headers": {
            "Location": {"description": "/api/v1/calls/{id}", "schema": {"type": "string"}}
        },
    },
    **error_responses(
        400,
        413,
        described={
            404: "no such device (or outside your scope), no such peripheral on it, or the "
            "peripheral's kind has no such action",
            409: "the device is offline (calls are not queued)",
            503: "the cloud is not connected to the broker",
        },
    ),
}


async def _send(
    calls: CallService,
    response: Response,
    caller: Principal,
    where: tuple[str, str],
    action: str,
    args: Any,
) -> CallOut:
    body = args.model_dump(mode="json") if args is not None else {}
    device, peripheral = where
    call = await calls.create(device, peripheral, action, body, caller)
    response.headers["Location"] = f"/api/v1/calls/{call.id}"
    return call


def _post(action: str) -> Callable[[Endpoint], Endpoint]:
    return router.post(
        f"{_CALL_PATH}/{action}",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=CallOut,
        responses=_CALL_RESPONSES,
    )


@_post("set_led")
async def call_set_led(
    device_id: DevicePathId,
    peripheral: PeripheralPathId,
    args: SetLedArgs,
    caller: CallsWriter,
    calls: CallServiceDep,
    response: Response,
) -> CallOut:
    """``call_button``: light button ``button``'s LED ``off``, ``on`` or ``blink`` (kept
    across device restarts)."""
    return await _send(calls, response, caller, (device_id, peripheral), "set_led", args)


@_post("beep")
async def call_beep(
    device_id: DevicePathId,
    peripheral: PeripheralPathId,
    caller: CallsWriter,
    calls: CallServiceDep,
    response: Response,
    args: BeepArgs | None = None,
) -> CallOut:
    """``call_button``: beep ``count`` times for ``ms`` each (the body may be left out)."""
    return await _send(calls, response, caller, (device_id, peripheral), "beep", args)


@_post("request_rating")
async def call_request_rating(
    device_id: DevicePathId,
    peripheral: PeripheralPathId,
    args: RequestRatingArgs,
    caller: CallsWriter,
    calls: CallServiceDep,
    response: Response,
) -> CallOut:
    """``rating_pad``: ask the citizen to rate ``case_no``; the call's result is the rating
    (or ``timed_out`` after ``timeout_s``)."""
    return await _send(calls, response, caller, (device_id, peripheral), "request_rating", args)


@_post("stream_start")
async def call_stream_start(
    device_id: DevicePathId,
    peripheral: PeripheralPathId,
    args: StreamStartArgs,
    caller: CallsWriter,
    calls: CallServiceDep,
    response: Response,
    request: Request,
) -> CallOut:
    """``av_camera`` (issue 16): publish camera and microphone to the cloud's relay by WHIP.
    Needs ``media.view`` too; ``whip_url`` must be this cloud's for ``stream_id`` and
    ``token`` its publish token (``POST /api/v1/devices/{id}/streams`` fills both)."""
    await checked_stream_start(request, caller, args)
    return await _send(calls, response, caller, (device_id, peripheral), "stream_start", args)


@_post("stream_stop")
async def call_stream_stop(
    device_id: DevicePathId,
    peripheral: PeripheralPathId,
    args: StreamStopArgs,
    caller: CallsWriter,
    calls: CallServiceDep,
    response: Response,
) -> CallOut:
    """``av_camera`` (issue 16): end the stream ``stream_id`` (a stream not running: success)."""
    return await _send(calls, response, caller, (device_id, peripheral), "stream_stop", args)


@router.post(f"{_CALL_PATH}/{{action}}", include_in_schema=False)
async def call_unknown_action(action: CallAction, caller: CallsWriter) -> None:
    """Any other action: the enum makes it a 422 naming the actions there are (a known one
    never gets here: its own route above matches first)."""
    raise NotFound(f"there is no action {action}")


@router.get(
    "/calls/{call_id}",
    response_model=CallOut,
    responses=error_responses(described={404: "no such call (or outside your scope)"}),
)
async def get_call(
    call_id: CallPathId,
    caller: DevicesReader,
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
    return await calls.get(call_id, caller, wait_s)
