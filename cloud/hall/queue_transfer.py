"""Transfer: the window's ticket ends as ``transferred`` and a new ticket, linked both ways,
waits in another queue or for one window. It keeps its number (the citizen holds that paper)
and its first issue time (so it is not sent to the back of the new queue)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.hall import HallQueue
from cloud.db.models import Site
from cloud.errors import Unprocessable
from cloud.hall.queue_errors import UnknownQueue
from cloud.hall.queue_store import apply, window_of
from cloud.hall.queue_tables import HallTicket
from fleet.queue import Op
from protocols.hall import TicketState


async def transfer_ticket(
    s: AsyncSession, site: Site, t: HallTicket, to_queue: str, to_window: str, now: datetime
) -> HallTicket:
    """End ``t`` as transferred and add its continuation (flushed, uncommitted)."""
    if bool(to_queue) == bool(to_window):
        raise Unprocessable(
            "a transfer names exactly one target: to_queue (another queue) or to_window "
            "(one window)"
        )
    if to_window:
        if to_window == t.window_no:
            raise Unprocessable(f"ticket {t.ticket_no} is at window {to_window} already")
        await window_of(s, site, to_window)
    else:
        found = await s.scalar(
            select(HallQueue.id).where(HallQueue.site_id == site.id, HallQueue.code == to_queue)
        )
        if found is None:
            raise UnknownQueue(site.path, to_queue)
    apply(t, Op.TRANSFER)
    t.ended_at = t.updated_at = now
    new = HallTicket(
        site_id=site.id,
        queue_code=to_queue or t.queue_code,
        service_code=t.service_code,
        ticket_no=t.ticket_no,
        day=t.day,
        state=TicketState.ISSUED.value,
        source=t.source,
        priority=t.priority,
        appointment_id=t.appointment_id,
        issued_at=t.issued_at,
        for_window=to_window,
        case_no=t.case_no,
        transferred_from=t.id,
        updated_at=now,
    )
    s.add(new)
    await s.flush()
    t.transferred_to = new.id
    return new
