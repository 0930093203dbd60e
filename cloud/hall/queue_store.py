"""Reads and counters the built-in queue shares (``queue_service``, ``queue_live``, the API):
sites by path, windows, tickets as :class:`TicketView`, and the upserted counters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.hall import HallQueue, HallService, HallWindow
from cloud.db.models import Site
from cloud.hall.backend import TicketSource, TicketView
from cloud.hall.queue_errors import (
    TransitionRefused,
    UnknownService,
    UnknownSite,
    UnknownTicket,
    UnknownWindow,
)
from cloud.hall.queue_tables import HallTicket
from fleet.queue import IllegalTransition, Op, next_state
from protocols.hall import TicketState


async def site_of(s: AsyncSession, path: str) -> Site:
    site = await s.scalar(select(Site).where(Site.path == path))
    if site is None:
        raise UnknownSite(path)
    return site


async def window_of(s: AsyncSession, site: Site, number: str, lock: bool = False) -> HallWindow:
    q = select(HallWindow).where(HallWindow.site_id == site.id, HallWindow.number == number)
    window = await s.scalar(q.with_for_update() if lock else q)
    if window is None:
        raise UnknownWindow(site.path, number)
    return window


async def service_of(s: AsyncSession, site: Site, code: str) -> tuple[HallService, HallQueue]:
    row = (
        await s.execute(
            select(HallService, HallQueue)
            .join(HallQueue, HallQueue.id == HallService.queue_id)
            .where(HallService.site_id == site.id, HallService.code == code)
            .where(HallService.active, HallQueue.active)
        )
    ).first()
    if row is None:
        raise UnknownService(site.path, code)
    return row[0], row[1]


async def ticket_of(s: AsyncSession, site: Site, ticket_id: int, lock: bool = False) -> HallTicket:
    q = select(HallTicket).where(HallTicket.id == ticket_id)
    ticket = await s.scalar(q.with_for_update() if lock else q)
    if ticket is None or ticket.site_id != site.id:
        raise UnknownTicket(site.path, ticket_id, elsewhere=ticket is not None)
    return ticket


async def in_hand(s: AsyncSession, site: Site, window_no: str) -> HallTicket | None:
    """The ticket called to or served at the window now (at most one)."""
    return await s.scalar(
        select(HallTicket)
        .where(HallTicket.site_id == site.id, HallTicket.window_no == window_no)
        .where(HallTicket.state.in_([TicketState.CALLED.value, TicketState.SERVING.value]))
        .order_by(HallTicket.id.desc())
        .limit(1)
    )


async def people_ahead(s: AsyncSession, t: HallTicket) -> int:
    if t.state != TicketState.ISSUED.value:
        return 0
    n = await s.scalar(
        select(func.count())
        .select_from(HallTicket)
        .where(HallTicket.site_id == t.site_id, HallTicket.queue_code == t.queue_code)
        .where(HallTicket.state == TicketState.ISSUED.value, HallTicket.for_window == "")
        .where(tuple_(HallTicket.issued_at, HallTicket.id) < tuple_(t.issued_at, t.id))
    )
    return int(n or 0)


def view(t: HallTicket, site_path: str, ahead: int = 0) -> TicketView:
    return TicketView(
        id=t.id,
        site=site_path,
        queue_code=t.queue_code,
        service_code=t.service_code,
        ticket_no=t.ticket_no,
        state=TicketState(t.state),
        source=cast(TicketSource, t.source),
        issued_at=t.issued_at,
        people_ahead=ahead,
        window_no=t.window_no or t.for_window,
        staff_no=t.staff_no,
        called_at=t.called_at,
        recalls=t.recalls,
        ended_at=t.ended_at,
        appointment_id=t.appointment_id,
        case_no=t.case_no,
        transferred_from=t.transferred_from,
        transferred_to=t.transferred_to,
    )


async def bump(s: AsyncSession, table: Table, keys: dict[str, Any], column: str) -> int:
    """Add one to ``column`` of the row ``keys`` (created at 1), in this transaction; the row
    stays locked until commit, so concurrent callers get consecutive values."""
    dialect = (await s.connection()).dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(**keys, **{column: 1})
    upsert = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={column: table.c[column] + 1}
    ).returning(table.c[column])
    return int((await s.execute(upsert)).scalar_one())


def codes(window: HallWindow) -> Sequence[str]:
    return [str(c) for c in window.queue_codes]


def apply(t: HallTicket, op: Op) -> None:
    """Move ``t`` by ``op`` (``fleet.queue``) or raise the 409 naming its state."""
    try:
        t.state = next_state(TicketState(t.state), op, t.ticket_no).value
    except IllegalTransition as err:
        raise TransitionRefused(err) from None
