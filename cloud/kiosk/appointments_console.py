"""The console's side of appointments: lay out a week of slots for a service of a site, the
calendar of slots with their places held, the bookings of a day, and the no-show sweep.

Generating is idempotent: a slot that exists (same site, service and start) is kept as it is
(its capacity and bookings untouched) and counted as skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.models import Site, utcnow
from cloud.errors import Unprocessable
from cloud.hall.queue_store import site_of
from cloud.kiosk.appointments_model import (
    BookingView,
    SlotView,
    booking_view,
    service_names,
    slot_view,
)
from cloud.kiosk.appointments_tables import AppointmentBooking, AppointmentSlot
from fleet.appointments import BookingState, parse_times, week_slots
from fleet.queue import hall_day

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SlotPlan:
    service: str
    first_day: date
    days: int
    times: list[str]
    capacity: int
    weekdays: frozenset[int]


class AppointmentCalendar:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._sessions = sessions
        self.now = clock

    async def generate(self, site: Site, plan: SlotPlan) -> tuple[int, int]:
        """Create the plan's slots; (created, skipped as existing)."""
        try:
            times = parse_times(plan.times)
        except ValueError as err:
            raise Unprocessable(str(err)) from None
        wanted = week_slots(plan.first_day, plan.days, times, plan.weekdays)
        async with self._sessions() as s:
            names = await service_names(s, site.id)
            if plan.service not in names:
                offered = ", ".join(sorted(names)) or "none configured"
                raise Unprocessable(
                    f"service {plan.service!r} is not offered at {site.path}; one of: {offered}"
                )
            existing = set(
                await s.scalars(
                    select(AppointmentSlot.starts_at).where(
                        AppointmentSlot.site_id == site.id,
                        AppointmentSlot.service_code == plan.service,
                    )
                )
            )
            created = 0
            for start, end in wanted:
                if start in existing:
                    continue
                s.add(
                    AppointmentSlot(
                        site_id=site.id,
                        service_code=plan.service,
                        day=hall_day(start).isoformat(),
                        starts_at=start,
                        ends_at=end,
                        capacity=plan.capacity,
                        booked=0,
                    )
                )
                created += 1
            await s.commit()
        return created, len(wanted) - created

    async def calendar(self, site: str, first_day: date, days: int) -> list[SlotView]:
        last = (first_day + timedelta(days=days - 1)).isoformat()
        async with self._sessions() as s:
            where = await site_of(s, site)
            rows = await s.scalars(
                select(AppointmentSlot)
                .where(
                    AppointmentSlot.site_id == where.id,
                    AppointmentSlot.day >= first_day.isoformat(),
                    AppointmentSlot.day <= last,
                )
                .order_by(AppointmentSlot.starts_at, AppointmentSlot.service_code)
            )
            names = await service_names(s, where.id)
            return [slot_view(r, names) for r in rows]

    async def bookings(self, site: str, day: date) -> list[BookingView]:
        async with self._sessions() as s:
            where = await site_of(s, site)
            rows = await s.scalars(
                select(AppointmentBooking)
                .where(
                    AppointmentBooking.site_id == where.id,
                    AppointmentBooking.day == day.isoformat(),
                )
                .order_by(AppointmentBooking.starts_at, AppointmentBooking.ref)
            )
            names = await service_names(s, where.id)
            return [booking_view(b, where.path, where.name, names) for b in rows]

    async def sweep(self) -> int:
        """Record booked appointments whose slot has ended as no-shows; how many."""
        now = self.now()
        async with self._sessions() as s:
            refs = list(
                await s.scalars(
                    update(AppointmentBooking)
                    .where(
                        AppointmentBooking.state == BookingState.BOOKED.value,
                        AppointmentBooking.ends_at < now,
                    )
                    .values(state=BookingState.NO_SHOW.value, holding=None, ended_at=now)
                    .returning(AppointmentBooking.ref)
                )
            )
            await s.commit()
        if refs:
            log.info("appointments: %d no-shows recorded (%s)", len(refs), ", ".join(refs))
        return len(refs)

    async def sweep_forever(self, every_s: float) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:  # a database hiccup must not end the loop
                log.exception("appointments: the no-show sweep failed; trying again later")
            await asyncio.sleep(every_s)
