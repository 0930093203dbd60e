"""The appointment services as one part of :class:`cloud.kiosk.parts.Kiosk` (``appointments``)
and the no-show sweep among the kiosk's workers."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.hall.parts import Hall
from cloud.jobs import JobService
from cloud.kiosk.appointments_checkin import AppointmentCheckIn
from cloud.kiosk.appointments_console import AppointmentCalendar
from cloud.kiosk.appointments_service import Appointments
from cloud.kiosk.sms import CitizenSms
from cloud.settings import Settings


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
    return AppointmentServices(booking, AppointmentCheckIn(sessions, booking, hall, jobs), calendar)
