"""The call centre's kiosk side (issue 16): the kiosk asks for help, follows its call
(long-poll) and hangs up. Device credentials (the agent relays its browser's requests);
a call of another kiosk does not exist for it."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query

from cloud.api.auth_deps import DeviceCaller
from cloud.api.enrollment import described
from cloud.api.help_calls import Desk
from cloud.api.help_schemas import CallId, CallOut, KioskCallIn, KioskCallOut, call_out
from cloud.api.strict_json import StrictJsonRoute
from cloud.help.calls import CALLS_KEY, NewCall
from cloud.help.calls_model import RECORDING_NOTICE, CallView, citizen_words
from cloud.help.parts import HelpDesk

router = APIRouter(prefix="/api/v1/kiosk/help", tags=["kiosk"], route_class=StrictJsonRoute)
#: the longest long-poll (the agent's relay and the browser wait a little longer)
MAX_WAIT_S = 25.0
_AUTH = {
    401: "no device credentials, or wrong or revoked ones (code says which)",
    403: "the caller is not a device (code device_only)",
}
_CREATE = described(
    400,
    413,
    500,
    said={
        **_AUTH,
        409: "no_site: the kiosk has no site (citizen_message says what to do)",
        422: "an invalid body",
    },
)
_ONE = described(
    500,
    said={
        **_AUTH,
        404: "call_not_found: no such call of this kiosk",
        422: "a malformed call id or wait_s",
    },
)


def _kiosk_out(desk: HelpDesk, view: CallView) -> KioskCallOut:
    r = view.row
    kiosk_stream, operator_stream = view.streams
    words = citizen_words(r.state, r.ended_reason)
    token = desk.calls.streams.view_token(view.ref()) if r.state == "active" else None
    return KioskCallOut(
        call_id=r.call_id,
        state=r.state,
        position=view.position,
        operator_name=r.operator_name,
        recording=r.recording,
        kiosk_stream_id=kiosk_stream,
        operator_stream_id=operator_stream,
        operator_view_token=token,
        citizen_message=words[0] if words else None,
        citizen_message_en=words[1] if words else None,
        recording_notice=RECORDING_NOTICE[0] if r.recording else None,
        recording_notice_en=RECORDING_NOTICE[1] if r.recording else None,
    )


@router.post("/calls", status_code=201, response_model=CallOut, responses=_CREATE)
async def make_call(body: KioskCallIn, caller: DeviceCaller, desk: Desk) -> CallOut:
    """Ask for a person: the call rings an operator on duty, or waits, or — nobody on duty —
    is missed at once (``state: missed``; the long-poll carries the citizen's message). The
    same ``request_id``, or any call of this kiosk not over yet, answers the same call."""
    new = NewCall(body.request_id, body.lang, body.screen, body.source)
    return call_out(await desk.calls.create(caller, new))


@router.get("/calls/{call_id}", response_model=KioskCallOut, responses=_ONE)
async def follow_call(
    call_id: CallId,
    caller: DeviceCaller,
    desk: Desk,
    wait_s: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_WAIT_S,
            allow_inf_nan=False,
            description="wait up to this long for the call's state or queue position to change",
        ),
    ] = 0,
) -> KioskCallOut:
    """The call as the citizen sees it; answers at once when it is over."""
    view = await desk.calls.of_kiosk(call_id, caller)
    if wait_s > 0 and view.row.state not in ("ended", "missed", "cancelled"):
        seen = (view.row.state, view.position)
        async with desk.calls.hub.subscribe(CALLS_KEY) as changes:
            view = await desk.calls.of_kiosk(call_id, caller)  # nothing lost before subscribing
            deadline = asyncio.get_running_loop().time() + wait_s
            while (view.row.state, view.position) == seen:
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0 or await changes.wait_for(lambda _: True, left) is None:
                    break
                view = await desk.calls.of_kiosk(call_id, caller)
    return _kiosk_out(desk, view)


@router.post("/calls/{call_id}/cancel", response_model=KioskCallOut, responses=_ONE)
async def cancel_call(call_id: CallId, caller: DeviceCaller, desk: Desk) -> KioskCallOut:
    """The citizen hangs up: before an answer the call is cancelled, during it the call
    ends; a call already over is answered as it is."""
    return _kiosk_out(desk, await desk.calls.cancel(call_id, caller))
