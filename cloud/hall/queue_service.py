"""The built-in queue (``cloud.hall.backend.QueueBackend``): tickets in ``hall_tickets``, the
rules in :mod:`fleet.queue`, the live state published after every change (``queue_live``).

Two windows calling next at once never get the same ticket: the chosen ticket is taken with a
conditional ``UPDATE … WHERE state = 'issued'`` whose row count is checked — on PostgreSQL the
loser's update waits for the winner's commit, re-checks the condition, matches nothing and
chooses again; on SQLite the process's one connection serialises the transactions. The window's
own row is locked (``FOR UPDATE`` on PostgreSQL) so one window never holds two tickets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.models import Site, utcnow
from cloud.errors import Conflict
from cloud.hall.backend import TicketSource, TicketView
from cloud.hall.queue_errors import NothingInHand, WindowBusy, WindowNotOpen
from cloud.hall.queue_store import (
    apply,
    bump,
    codes,
    in_hand,
    people_ahead,
    service_of,
    site_of,
    ticket_of,
    view,
    window_of,
)
from cloud.hall.queue_tables import HallTicket, HallTicketCounter
from cloud.hall.queue_transfer import transfer_ticket
from cloud.hall.signals import HallSignals, TicketDone
from fleet.queue import (
    MAX_PRIORITY_IN_ROW,
    Op,
    Waiting,
    choose_next,
    hall_day,
    in_slot,
    priority_streak,
    ticket_no,
)
from protocols.hall import TicketState, WindowStatus

#: how many waiting tickets choose-next looks at per call (oldest first)
CANDIDATES = 500
#: how often a call-next retries after another window took its choice first
CALL_RETRIES = 20

Changed = Callable[[int, str], Awaitable[None]]


async def _no_live(_site_id: int, _path: str) -> None:
    return None


class BuiltinQueue:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        signals: HallSignals | None = None,
        changed: Changed = _no_live,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._signals = signals or HallSignals()
        #: called after every committed change (``queue_live.QueueLive.changed``)
        self.changed = changed
        self._now = clock

    async def take(
        self,
        site: str,
        service_code: str,
        *,
        source: TicketSource,
        appointment_id: str = "",
        priority: bool = False,
    ) -> TicketView:
        """A new ticket for ``service_code``; ``priority``: an appointment in its slot."""
        now = self._now()
        day = hall_day(now).isoformat()
        async with self._sessions() as s:
            where = await site_of(s, site)
            service, queue = await service_of(s, where, service_code)
            keys = {"site_id": where.id, "queue_code": queue.code, "day": day}
            seq = await bump(s, HallTicketCounter.__table__, keys, "last")  # type: ignore[arg-type]
            t = HallTicket(
                site_id=where.id,
                queue_code=queue.code,
                service_code=service.code,
                ticket_no=ticket_no(queue.prefix, seq),
                day=day,
                state=TicketState.ISSUED.value,
                source=source,
                priority=priority,
                appointment_id=appointment_id,
                issued_at=now,
                updated_at=now,
            )
            s.add(t)
            await s.flush()
            out = view(t, site, await people_ahead(s, t))
            await s.commit()
        await self.changed(where.id, site)
        return out

    async def check_in(
        self,
        site: str,
        service_code: str,
        *,
        appointment_id: str,
        slot_start: datetime,
        slot_end: datetime,
    ) -> TicketView:
        """The appointment arrival hook: a ticket that goes ahead of walk-ins if the citizen
        came within the slot (``fleet.queue.in_slot``), an ordinary one otherwise."""
        priority = in_slot(self._now(), slot_start, slot_end)
        return await self.take(
            site,
            service_code,
            source="appointment",
            appointment_id=appointment_id,
            priority=priority,
        )

    async def call_next(
        self, site: str, window_no: str, *, staff_no: str = ""
    ) -> TicketView | None:
        for _ in range(CALL_RETRIES):
            async with self._sessions() as s:
                where = await site_of(s, site)
                taken = await self._try_call(s, where, window_no, staff_no)
                if taken is None:
                    return None
                if not isinstance(taken, HallTicket):
                    continue
                await s.commit()
            await self.changed(where.id, site)
            return view(taken, site)
        raise Conflict(
            f"window {window_no} lost the race for the next ticket {CALL_RETRIES} times; "
            "press call-next again"
        )

    async def _try_call(
        self, s: AsyncSession, site: Site, window_no: str, staff_no: str
    ) -> HallTicket | Literal[False] | None:
        """The ticket called (uncommitted), None if nobody waits, False if another window
        took the chosen one first (try again)."""
        window = await window_of(s, site, window_no, lock=True)
        if window.status != WindowStatus.OPEN.value:
            raise WindowNotOpen(
                f"window {window_no} at {site.path} is {window.status}; open it (sign in or set "
                "its status to open) before calling"
            )
        held = await in_hand(s, site, window_no)
        if held is not None:
            raise WindowBusy(
                f"window {window_no} still has ticket {held.ticket_no} ({held.state}); complete "
                "it, mark it a no-show or transfer it before calling the next"
            )
        wanted = codes(window)
        rows = (
            await s.scalars(
                select(HallTicket)
                .where(HallTicket.site_id == site.id, HallTicket.state == TicketState.ISSUED.value)
                .where(HallTicket.queue_code.in_(wanted) | (HallTicket.for_window == window_no))
                .order_by(HallTicket.issued_at, HallTicket.id)
                .limit(CANDIDATES)
            )
        ).all()
        waiting = [Waiting(t.id, t.queue_code, t.issued_at, t.priority, t.for_window) for t in rows]
        streaks = {c: await self._streak(s, site, c) for c in wanted}
        chosen = choose_next(waiting, window_no, wanted, streaks)
        if chosen is None:
            return None
        now = self._now()
        res = await s.execute(
            update(HallTicket)
            .where(HallTicket.id == chosen.id, HallTicket.state == TicketState.ISSUED.value)
            .values(
                state=TicketState.CALLED.value,
                window_no=window_no,
                for_window="",
                staff_no=staff_no or window.staff_no,
                called_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            await s.rollback()
            return False
        called = await ticket_of(s, site, chosen.id)
        await s.refresh(called)  # the identity map still holds it as issued
        return called

    async def _streak(self, s: AsyncSession, site: Site, code: str) -> int:
        recent = (
            await s.scalars(
                select(HallTicket.priority)
                .where(HallTicket.site_id == site.id, HallTicket.queue_code == code)
                .where(HallTicket.called_at.is_not(None))
                .order_by(HallTicket.called_at.desc(), HallTicket.id.desc())
                .limit(MAX_PRIORITY_IN_ROW)
            )
        ).all()
        return priority_streak(list(recent))

    async def _at_window(
        self, site: str, window_no: str, op: Op, case_no: str = ""
    ) -> tuple[TicketView, HallTicket]:
        now = self._now()
        async with self._sessions() as s:
            where = await site_of(s, site)
            await window_of(s, where, window_no, lock=True)
            t = await in_hand(s, where, window_no)
            if t is None:
                raise NothingInHand(site, window_no)
            apply(t, op)
            t.updated_at = now
            if op is Op.RECALL:
                t.recalls += 1
                t.called_at = now
            elif op is Op.START:
                t.served_at = now
            else:
                t.ended_at = now
                t.case_no = case_no or t.case_no
            await s.commit()
        await self.changed(where.id, site)
        return view(t, site), t

    async def recall(self, site: str, window_no: str) -> TicketView:
        return (await self._at_window(site, window_no, Op.RECALL))[0]

    async def start(self, site: str, window_no: str) -> TicketView:
        return (await self._at_window(site, window_no, Op.START))[0]

    async def no_show(self, site: str, window_no: str) -> TicketView:
        return (await self._at_window(site, window_no, Op.NO_SHOW))[0]

    async def complete(self, site: str, window_no: str, *, case_no: str = "") -> TicketView:
        out, t = await self._at_window(site, window_no, Op.COMPLETE, case_no)
        await self._signals.ticket_done(
            TicketDone(
                site,
                t.id,
                t.ticket_no,
                t.queue_code,
                window_no,
                t.staff_no,
                t.case_no,
                t.ended_at or self._now(),
            )
        )
        return out

    async def transfer(
        self, site: str, window_no: str, *, to_queue: str = "", to_window: str = ""
    ) -> TicketView:
        async with self._sessions() as s:
            where = await site_of(s, site)
            await window_of(s, where, window_no, lock=True)
            t = await in_hand(s, where, window_no)
            if t is None:
                raise NothingInHand(site, window_no)
            new = await transfer_ticket(s, where, t, to_queue, to_window, self._now())
            out = view(new, site, await people_ahead(s, new))
            await s.commit()
        await self.changed(where.id, site)
        return out

    async def cancel(self, site: str, ticket_id: int) -> TicketView:
        async with self._sessions() as s:
            where = await site_of(s, site)
            t = await ticket_of(s, where, ticket_id, lock=True)
            apply(t, Op.CANCEL)
            t.ended_at = t.updated_at = self._now()
            await s.commit()
        await self.changed(where.id, site)
        return view(t, site)

    async def ticket(self, site: str, ticket_id: int) -> TicketView:
        async with self._sessions() as s:
            where = await site_of(s, site)
            t = await ticket_of(s, where, ticket_id)
            return view(t, site, await people_ahead(s, t))
