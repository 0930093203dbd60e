"""``POST /api/v1/hall/windows/{number}/{op}``: what staff do at a window — sign in and out,
open / pause / close it, call the next ticket, recall, start serving, no-show, complete,
transfer. All need ``queue.operate``; sign-in, sign-out and status changes are audited (a
ticket's own row records each call).

Call-next answers 204 when nobody waits for the window. An illegal transition is a 409 whose
``code`` is ``illegal_transition`` and whose message names the ticket's state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from cloud import audit
from cloud.api.deps import SessionsDep
from cloud.api.errors import error_responses
from cloud.api.hall_queue_deps import (
    DeskDep,
    HallSite,
    QueueDep,
    QueueOperator,
    check_scope,
    record,
)
from cloud.api.hall_queue_schemas import (
    CompleteIn,
    DeskOut,
    SignInIn,
    StatusIn,
    TicketOut,
    TransferIn,
)
from cloud.api.hall_queue_tickets import ticket_out
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.hall.queue_desk import DeskView

router = APIRouter(
    prefix="/api/v1/hall/windows/{number}",
    tags=["hall"],
    responses=error_responses(401, 403, 422, 500),
    route_class=StrictJsonRoute,
)
Number = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,8}$", description="a window number")]
_404 = {404: "no such site or window (or outside your scope)"}
_409 = {409: "the window's or ticket's state does not allow it (the message says which)"}
_BOTH = error_responses(described={**_404, **_409})


def _desk(d: DeskView) -> DeskOut:
    return DeskOut(
        number=d.number,
        status=d.status,
        staff_no=d.staff_no,
        ticket_no=d.ticket_no,
        ticket_state=d.ticket_state,
    )


async def _audit(
    sessions: SessionsDep,
    caller: Principal,
    request: Request,
    action: str,
    site: str,
    d: DeskView,
) -> DeskOut:
    out = _desk(d)
    detail = out.model_dump(mode="json")
    await audit.write(sessions, record(caller, request, action, f"window:{d.number}", site, detail))
    return out


@router.post(
    "/sign-in",
    response_model=DeskOut,
    responses=error_responses(400, 413, described={**_404, **_409}),
)
async def sign_in(
    caller: QueueOperator,
    desk: DeskDep,
    sessions: SessionsDep,
    request: Request,
    site: HallSite,
    number: Number,
    body: SignInIn,
) -> DeskOut:
    """Staff sign in (they must be registered at the site): the window opens."""
    check_scope(caller, site)
    d = await desk.sign_in(site, number, body.staff_no)
    return await _audit(sessions, caller, request, "hall.window.sign_in", site, d)


@router.post("/sign-out", response_model=DeskOut, responses=_BOTH)
async def sign_out(
    caller: QueueOperator,
    desk: DeskDep,
    sessions: SessionsDep,
    request: Request,
    site: HallSite,
    number: Number,
) -> DeskOut:
    """Staff sign out: the window closes (refused while it has a ticket in hand)."""
    check_scope(caller, site)
    d = await desk.sign_out(site, number)
    return await _audit(sessions, caller, request, "hall.window.sign_out", site, d)


@router.post(
    "/status",
    response_model=DeskOut,
    responses=error_responses(400, 413, described={**_404, **_409}),
)
async def set_status(
    caller: QueueOperator,
    desk: DeskDep,
    sessions: SessionsDep,
    request: Request,
    site: HallSite,
    number: Number,
    body: StatusIn,
) -> DeskOut:
    """Open, pause (no calls, e.g. a break) or close the window."""
    check_scope(caller, site)
    d = await desk.set_status(site, number, body.status)
    return await _audit(sessions, caller, request, "hall.window.status", site, d)


@router.post(
    "/call-next",
    response_model=TicketOut,
    responses={204: {"description": "nobody waits for this window"}, **_BOTH},
)
async def call_next(
    caller: QueueOperator, queue: QueueDep, site: HallSite, number: Number
) -> TicketOut | Response:
    check_scope(caller, site)
    t = await queue.call_next(site, number)
    return Response(status_code=204) if t is None else ticket_out(t)


@router.post("/recall", response_model=TicketOut, responses=_BOTH)
async def recall(
    caller: QueueOperator, queue: QueueDep, site: HallSite, number: Number
) -> TicketOut:
    """Call the window's ticket again (the screens chime and speak it once more)."""
    check_scope(caller, site)
    return ticket_out(await queue.recall(site, number))


@router.post("/start", response_model=TicketOut, responses=_BOTH)
async def start(
    caller: QueueOperator, queue: QueueDep, site: HallSite, number: Number
) -> TicketOut:
    """The citizen arrived at the window: called → serving."""
    check_scope(caller, site)
    return ticket_out(await queue.start(site, number))


@router.post("/no-show", response_model=TicketOut, responses=_BOTH)
async def no_show(
    caller: QueueOperator, queue: QueueDep, site: HallSite, number: Number
) -> TicketOut:
    check_scope(caller, site)
    return ticket_out(await queue.no_show(site, number))


@router.post(
    "/complete",
    response_model=TicketOut,
    responses=error_responses(400, 413, described={**_404, **_409}),
)
async def complete(
    caller: QueueOperator,
    queue: QueueDep,
    site: HallSite,
    number: Number,
    body: CompleteIn | None = None,
) -> TicketOut:
    """The service is done (the window's rating pad then asks for a rating)."""
    check_scope(caller, site)
    return ticket_out(await queue.complete(site, number, case_no=body.case_no if body else ""))


@router.post(
    "/transfer",
    response_model=TicketOut,
    responses=error_responses(400, 413, described={**_404, **_409}),
)
async def transfer(
    caller: QueueOperator, queue: QueueDep, site: HallSite, number: Number, body: TransferIn
) -> TicketOut:
    """End the window's ticket as transferred; answers the new ticket (same number) waiting in
    ``to_queue`` or for window ``to_window``."""
    check_scope(caller, site)
    return ticket_out(
        await queue.transfer(site, number, to_queue=body.to_queue, to_window=body.to_window)
    )
