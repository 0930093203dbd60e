"""The appointment services as one part of :class:`cloud.kiosk.parts.Kiosk` (``appointments``)
and the no-show sweep among the kiosk's workers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.hall.parts import Hall
from cloud.jobs import JobService
from cloud.kiosk.appointments_checkin import AppointmentCheckIn
from cloud.kiosk.appointments_console import AppointmentCalendar
from cloud.kiosk.appointments_demo import seed_demo_slots
from cloud.kiosk.appointments_service import Appointments
from cloud.kiosk.sms import CitizenSms
from cloud.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AppointmentServices:
    #: slots, booking, my appointments, cancel (the kiosk)
    booking: Appointments
    #: check-in into the site's queue, with the printed ticket (the kiosk)
    check_in: AppointmentCheckIn
    #: slot generation, calendar, bookings of a day, the no-show sweep (the console)
    calendar: AppointmentCalendar


Workers = list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]]


def build_appointments(
    sms: CitizenSms,
    workers: Workers,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    jobs: JobService,
    hall: Hall,
) -> AppointmentServices:
    booking = Appointments(
        sessions,
        sms,
        settings.secret_key.get_secret_value(),
        days_ahead=settings.appointments_days_ahead,
    )
    calendar = AppointmentCalendar(sessions)
    every = settings.appointments_sweep_s
    workers.append(("appointments-no-show", lambda: calendar.sweep_forever(every)))
    if settings.appointments_demo_slots:
        workers.append(("appointments-demo", lambda: _demo(sessions, calendar)))
    return AppointmentServices(booking, AppointmentCheckIn(sessions, booking, hall, jobs), calendar)


async def _demo(sessions: async_sessionmaker[AsyncSession], calendar: AppointmentCalendar) -> None:
    """Slots for the demo's halls: polls until the demo has seeded its halls (it does so
    after the cloud starts), for at most two minutes."""
    for _ in range(24):
        try:
            if await seed_demo_slots(sessions, calendar):
                return
        except Exception:  # the demo goes on without slots; the console can generate them
            log.exception("appointments: the demo slots could not be created")
            return
        await asyncio.sleep(5)
