"""A window's desk: staff sign in and out, the window opens, pauses or closes. Sign-in checks
the staff member is registered at the site (``hall_staff``); a window with a ticket in hand
cannot be signed out or closed (complete, no-show or transfer it first)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.hall import HallStaff, HallWindow
from cloud.db.models import Site, utcnow
from cloud.hall.queue_errors import UnknownStaff, WindowBusy
from cloud.hall.queue_service import Changed
from cloud.hall.queue_store import in_hand, site_of, window_of
from protocols.hall import WindowStatus


@dataclass(frozen=True, slots=True)
class DeskView:
    number: str
    status: WindowStatus
    staff_no: str
    #: the ticket in hand ("" none) and its state
    ticket_no: str = ""
    ticket_state: str = ""


class WindowDesk:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], changed: Changed) -> None:
        self._sessions = sessions
        self._changed = changed

    async def sign_in(self, site: str, number: str, staff_no: str) -> DeskView:
        async with self._sessions() as s:
            where = await site_of(s, site)
            staff = await s.scalar(
                select(HallStaff).where(
                    HallStaff.site_id == where.id, HallStaff.staff_no == staff_no, HallStaff.active
                )
            )
            if staff is None:
                raise UnknownStaff(site, staff_no)
            w = await window_of(s, where, number, lock=True)
            if w.staff_no and w.staff_no != staff_no:
                raise WindowBusy(
                    f"staff {w.staff_no} is signed in at window {number}; they sign out first "
                    "(or an operator signs them out)"
                )
            w.staff_no, w.status = staff_no, WindowStatus.OPEN.value
            return await self._done(s, where, w)

    async def sign_out(self, site: str, number: str) -> DeskView:
        async with self._sessions() as s:
            where = await site_of(s, site)
            w = await window_of(s, where, number, lock=True)
            await self._idle(s, where, w, "signing out")
            w.staff_no, w.status = "", WindowStatus.CLOSED.value
            return await self._done(s, where, w)

    async def set_status(self, site: str, number: str, status: WindowStatus) -> DeskView:
        async with self._sessions() as s:
            where = await site_of(s, site)
            w = await window_of(s, where, number, lock=True)
            if status is WindowStatus.CLOSED:
                await self._idle(s, where, w, "closing")
            w.status = status.value
            return await self._done(s, where, w)

    async def show(self, site: str, number: str) -> DeskView:
        async with self._sessions() as s:
            where = await site_of(s, site)
            return await self._view(s, where, await window_of(s, where, number))

    async def _idle(self, s: AsyncSession, site: Site, w: HallWindow, doing: str) -> None:
        held = await in_hand(s, site, w.number)
        if held is not None:
            raise WindowBusy(
                f"window {w.number} has ticket {held.ticket_no} ({held.state}); complete it, "
                f"mark it a no-show or transfer it before {doing}"
            )

    async def _view(self, s: AsyncSession, site: Site, w: HallWindow) -> DeskView:
        held = await in_hand(s, site, w.number)
        return DeskView(
            w.number,
            WindowStatus(w.status),
            w.staff_no,
            held.ticket_no if held else "",
            held.state if held else "",
        )

    async def _done(self, s: AsyncSession, site: Site, w: HallWindow) -> DeskView:
        w.updated_at = utcnow()
        out = await self._view(s, site, w)
        await s.commit()
        await self._changed(site.id, site.path)
        return out
