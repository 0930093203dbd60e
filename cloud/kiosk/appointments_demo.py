"""Demo mode: every hall with services gets three days of slots at start (if it has none from
today on), so that booking, cancelling and checking in work at once in ``kfleet demo``."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.hall import HallService
from cloud.db.models import Site, utcnow
from cloud.kiosk.appointments_console import AppointmentCalendar, SlotPlan
from cloud.kiosk.appointments_tables import AppointmentSlot
from fleet.queue import hall_day

log = logging.getLogger(__name__)

#: 30-minute slots from 08:00 to 20:00, hall time
DEMO_TIMES = [
    f"{h:02d}:{m:02d}-{h + (m + 30) // 60:02d}:{(m + 30) % 60:02d}"
    for h in range(8, 20)
    for m in (0, 30)
]
DEMO_CAPACITY = 4
#: today and the next two days (the kiosk lists every bookable slot of its hall)
DEMO_DAYS = 3


async def seed_demo_slots(
    sessions: async_sessionmaker[AsyncSession], calendar: AppointmentCalendar
) -> int:
    """Slots created (0 when every hall had some already)."""
    today = hall_day(utcnow())
    async with sessions() as s:
        rows = (
            await s.execute(
                select(Site, HallService.code)
                .join(HallService, HallService.site_id == Site.id)
                .where(HallService.active.is_(True))
                .order_by(Site.path, HallService.code)
            )
        ).all()
        seeded = set(
            await s.scalars(
                select(AppointmentSlot.site_id).where(AppointmentSlot.day >= today.isoformat())
            )
        )
    created = 0
    for site, service in rows:
        if site.id in seeded:
            continue
        plan = SlotPlan(
            service, today, DEMO_DAYS, DEMO_TIMES, DEMO_CAPACITY, frozenset(range(1, 8))
        )
        created += (await calendar.generate(site, plan))[0]
    if created:
        log.info("appointments: %d demo slots created", created)
    return created
