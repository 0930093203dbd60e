"""``/api/v1/hall/tickets`` and ``/api/v1/hall/monitor``: taking a ticket at the console (the
kiosk has its own device route), following and cancelling one, and the queue monitor.

Reading needs ``hall.read``; taking and cancelling ``queue.operate``. A ticket is addressed by
its id together with its site: the id of another site's ticket is a 404 that says so."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import select

from cloud.api.deps import SessionsDep
from cloud.api.errors import error_responses
from cloud.api.hall_queue_deps import (
    HallReader,
    HallSite,
    QueueDep,
    QueueOperator,
    check_scope,
    scoped_site,
)
from cloud.api.hall_queue_monitor import monitor
from cloud.api.hall_queue_schemas import Monitor, TicketIn, TicketList, TicketOut
from cloud.api.strict_json import StrictJsonRoute
from cloud.db.models import utcnow
from cloud.hall.backend import TicketView
from cloud.hall.queue_store import view
from cloud.hall.queue_tables import HallTicket
from fleet.queue import hall_day
from protocols.hall import TicketState

router = APIRouter(
    prefix="/api/v1/hall",
    tags=["hall"],
    responses=error_responses(401, 403, 422, 500),
    route_class=StrictJsonRoute,
)
TicketId = Annotated[int, Path(ge=1, le=2**31 - 1, description="a ticket id")]
_T404 = {404: "no such site, or the ticket is not one of the site's (or outside your scope)"}
_ILLEGAL = {409: "the ticket's state does not allow it (the message names the state)"}


def ticket_out(t: TicketView) -> TicketOut:
    return TicketOut(
        id=t.id,
        site=t.site,
        ticket_no=t.ticket_no,
        state=t.state,
        queue=t.queue_code,
        service=t.service_code,
        source=t.source,
        people_ahead=t.people_ahead,
        issued_at=t.issued_at,
        window=t.window_no,
        staff_no=t.staff_no,
        called_at=t.called_at,
        recalls=t.recalls,
        ended_at=t.ended_at,
        appointment_id=t.appointment_id,
        case_no=t.case_no,
        transferred_from=t.transferred_from,
        transferred_to=t.transferred_to,
    )


@router.post(
    "/tickets",
    response_model=TicketOut,
    status_code=201,
    summary="Take a ticket for a service (console, appointment check-in)",
    responses=error_responses(400, 413, described={404: "no such site or service"}),
)
async def take_ticket(
    caller: QueueOperator, queue: QueueDep, response: Response, site: HallSite, body: TicketIn
) -> TicketOut:
    check_scope(caller, site)
    t = await queue.take(
        site,
        body.service,
        source=body.source,
        appointment_id=body.appointment_id,
        priority=body.priority,
    )
    response.headers["Location"] = f"/api/v1/hall/tickets/{t.id}?site={site}"
    return ticket_out(t)


@router.get(
    "/tickets",
    response_model=TicketList,
    summary="Today's tickets of a hall (and older ones still open), newest first",
    responses=error_responses(described={404: "no such site (or outside your scope)"}),
)
async def list_tickets(
    caller: HallReader,
    sessions: SessionsDep,
    site: HallSite,
    state: Annotated[TicketState | None, Query(description="only tickets in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> TicketList:
    day = hall_day(utcnow()).isoformat()
    async with sessions() as s:
        where = await scoped_site(s, caller, site)
        q = select(HallTicket).where(
            HallTicket.site_id == where.id,
            (HallTicket.day == day) | HallTicket.state.in_(["issued", "called", "serving"]),
        )
        if state is not None:
            q = q.where(HallTicket.state == state.value)
        rows = await s.scalars(q.order_by(HallTicket.id.desc()).limit(limit))
        return TicketList(items=[ticket_out(view(t, site)) for t in rows])


@router.get(
    "/tickets/{ticket_id}",
    response_model=TicketOut,
    responses=error_responses(described=_T404),
)
async def get_ticket(
    caller: HallReader, queue: QueueDep, site: HallSite, ticket_id: TicketId
) -> TicketOut:
    check_scope(caller, site)
    return ticket_out(await queue.ticket(site, ticket_id))


@router.post(
    "/tickets/{ticket_id}/cancel",
    response_model=TicketOut,
    responses=error_responses(described={**_T404, **_ILLEGAL}),
)
async def cancel_ticket(
    caller: QueueOperator, queue: QueueDep, site: HallSite, ticket_id: TicketId
) -> TicketOut:
    """Cancel a waiting or called ticket (the citizen left)."""
    check_scope(caller, site)
    return ticket_out(await queue.cancel(site, ticket_id))


@router.get(
    "/monitor",
    response_model=Monitor,
    summary="Waiting and serving per queue and window, average wait and service time today",
    responses=error_responses(described={404: "no such site (or outside your scope)"}),
)
async def get_monitor(
    caller: HallReader, sessions: SessionsDep, request: Request, site: HallSite
) -> Monitor:
    async with sessions() as s:
        where = await scoped_site(s, caller, site)
    return await monitor(sessions, where, utcnow)
