"""The call centre's operator side (issue 16): duty, the queue and history, the consoles'
event stream, accept and end. ``help.answer``, scoped: a call outside the caller's subtree
does not exist for them (docs/help-desk.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, TypeAdapter

from cloud.api.audit import IsoTime
from cloud.api.audit import _utc as utc_clamped
from cloud.api.auth_deps import check_site, require, scope_of
from cloud.api.deps import SettingsDep
from cloud.api.enrollment import described
from cloud.api.help_schemas import (
    CallId,
    CallOut,
    CallStateName,
    DutyIn,
    DutyOut,
    EndIn,
    call_out,
)
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.help.calls import CALLS_KEY
from cloud.help.calls_duty import OnDuty
from cloud.help.calls_model import CallView
from cloud.help.calls_model import Query as CallQuery
from cloud.help.parts import HelpDesk
from cloud.schemas import SITE_PATH_PATTERN
from fleet.access import Permission, in_scope

router = APIRouter(prefix="/api/v1/help", tags=["help desk"], route_class=StrictJsonRoute)
Answerer = Annotated[Principal, Depends(require(Permission.HELP_ANSWER))]
_AUTH = {401: "no credentials, or bad ones", 403: "permission_denied: help.answer needed"}
_READ = described(500, said={**_AUTH, 422: "a malformed query (state, site, since, limit)"})
_ONE = described(
    500, said={**_AUTH, 404: "call_not_found (or outside your scope)", 422: "a malformed call id"}
)
_WRITE = described(
    400, 413, 500, said={**_AUTH, 422: "an invalid body", 403: f"{_AUTH[403]}, or no_scope"}
)
_CHANGE = described(
    400,
    413,
    500,
    said={
        **_AUTH,
        404: "call_not_found (or outside your scope)",
        409: "call_taken: another operator took the call, or it is over; call_state: the "
        "call is not in a state for this (ending a call not answered, or someone else's)",
        422: "an invalid body",
    },
)
#: comment lines keep idle proxies from closing the event stream
HEARTBEAT_S = 10.0
_DUTY_LIST = TypeAdapter(list[DutyOut])


class DutyList(BaseModel):
    #: the caller's own duty
    me: DutyOut
    #: operators on duty now whose subtree meets the caller's, longest on duty first
    on_duty: list[DutyOut]


async def _desk(request: Request) -> HelpDesk:
    desk: HelpDesk = request.app.state.parts.help
    return desk


Desk = Annotated[HelpDesk, Depends(_desk)]


def _duty_out(d: OnDuty) -> DutyOut:
    return DutyOut(
        operator=d.operator, name=d.name, scope=d.scope, on_duty=d.on_duty, since=d.since
    )


async def _seen(desk: HelpDesk, call_id: str, caller: Principal) -> CallView:
    view = await desk.calls.view(call_id)
    check_site(caller, view.row.site_path, f"remote-help call {call_id}")
    return view


@router.put("/duty", response_model=DutyOut, responses=_WRITE)
async def set_duty(body: DutyIn, caller: Answerer, desk: Desk) -> DutyOut:
    """Go on duty (be rung for the calls of your subtree) or off duty."""
    return _duty_out(await desk.duty.set(caller, body.on_duty))


@router.get("/duty", response_model=DutyList, responses=_READ)
async def get_duty(caller: Answerer, desk: Desk) -> DutyList:
    """Who is on duty now, and whether you are."""
    scope = scope_of(caller)
    return DutyList(
        me=_duty_out(await desk.duty.mine(caller)),
        on_duty=[_duty_out(d) for d in await desk.duty.who(scope)],
    )


@router.get("/calls", response_model=list[CallOut], responses=_READ)
async def list_calls(
    caller: Answerer,
    desk: Desk,
    state: CallStateName | None = None,
    site: Annotated[
        str | None, Query(pattern=SITE_PATH_PATTERN, description="site path; with its subtree")
    ] = None,
    since: Annotated[
        IsoTime | None, Query(description="made at or after (ISO 8601 with a zone)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[CallOut]:
    """The queue (``state=ringing``/``waiting``) and the history of your subtree, newest
    first."""
    query = CallQuery(scope_of(caller), state, site, utc_clamped(since), limit)
    return [call_out(v) for v in await desk.calls.list(query)]


@router.get("/calls/{call_id}", response_model=CallOut, responses=_ONE)
async def get_call(call_id: CallId, caller: Answerer, desk: Desk) -> CallOut:
    """The call; to its accepting operator while active, with their publish token again (a
    reloaded console page publishes its camera anew)."""
    view = await _seen(desk, call_id, caller)
    mine = view.row.state == "active" and view.row.operator == caller.actor
    return call_out(view, desk.calls.streams.publish_token(view.ref()) if mine else None)


@router.post("/calls/{call_id}/accept", response_model=CallOut, responses=_CHANGE)
async def accept_call(call_id: CallId, caller: Answerer, desk: Desk) -> CallOut:
    """Take the call (one operator per call: 409 ``call_taken`` if another was first). The
    answer carries your publish token for WHIP of ``operator_stream_id``; the kiosk's camera
    stream (``kiosk_stream_id``) is started for you to watch (WHEP, ``media.view``)."""
    await _seen(desk, call_id, caller)
    view = await desk.calls.accept(call_id, caller)
    return call_out(view, desk.calls.streams.publish_token(view.ref()))


@router.post("/calls/{call_id}/end", response_model=CallOut, responses=_CHANGE)
async def end_call(call_id: CallId, body: EndIn, caller: Answerer, desk: Desk) -> CallOut:
    """End your call with its outcome (the record: who, when, how long, outcome). An
    administrator may end another operator's call (one left open by a closed console)."""
    await _seen(desk, call_id, caller)
    return call_out(await desk.calls.end(call_id, caller, body.outcome, body.note))


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "server-sent events: `call` (data: a CallOut) for each open call "
            "at the start and each change after; `duty` when someone goes on or off duty; the "
            "stream ends after `help_events_window_s` and EventSource reconnects",
        },
        **_READ,
    },
)
async def events(caller: Answerer, desk: Desk, settings: SettingsDep) -> StreamingResponse:
    """The call centre's rings without polling (``EventSource``)."""
    scope = scope_of(caller)
    return StreamingResponse(
        _stream(desk, scope, settings.help_events_window_s),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _stream(desk: HelpDesk, scope: str, window_s: float) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    until = loop.time() + window_s
    async with desk.calls.hub.subscribe(CALLS_KEY) as changes:
        yield "retry: 1000\n\n"
        for view in await desk.calls.list(CallQuery(scope, limit=500, open_only=True)):
            yield _event("call", call_out(view).model_dump_json())
        while (left := until - loop.time()) > 0:
            news = await changes.wait_for(lambda _: True, min(left, HEARTBEAT_S))
            if news is None:
                if until - loop.time() > 0:
                    yield ": keepalive\n\n"
            elif news == "duty":
                who = [_duty_out(d) for d in await desk.duty.who(scope)]
                yield _event("duty", _DUTY_LIST.dump_json(who).decode())
            else:
                view = await desk.calls.view(news)
                if in_scope(scope, view.row.site_path):
                    yield _event("call", call_out(view).model_dump_json())


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"
