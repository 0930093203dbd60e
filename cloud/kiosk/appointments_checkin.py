"""Checking in an appointment at the kiosk: the site's queue (built-in or the city's system)
gives a ticket with the appointment's priority, and the same kiosk prints it.

Order matters so that nothing is half done: the printer is checked first; the ticket is
taken; the booking moves ``booked → checked_in`` by a conditional update (a second check-in
racing the first loses and gives its ticket back); then the receipt job is created — if that
fails, the booking returns to ``booked`` and the ticket to the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth.principal import Principal
from cloud.db import devices as device_repo
from cloud.db.models import Device, utcnow
from cloud.errors import CloudError, Conflict, NotFound
from cloud.hall.backend import QueueBackend, TicketView
from cloud.hall.kiosk_tickets import receipt_names
from cloud.hall.parts import Hall
from cloud.hall.queue_service import BuiltinQueue
from cloud.hall.ticket_receipt import ReceiptNames, receipt
from cloud.jobs import JobService
from cloud.kiosk.appointments_model import AppointmentError, BookingView, booking_view
from cloud.kiosk.appointments_model import service_names as names_of
from cloud.kiosk.appointments_service import Appointments, booking_of
from cloud.kiosk.appointments_tables import AppointmentBooking
from cloud.schemas import DeviceTarget, JobCreate
from fleet.appointments import AppointmentRefused, BookingState, check_check_in
from fleet.routing import device_target_refusal
from protocols.jobs import CAPABILITY_FOR_KIND, JobKind, TextLine

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CheckedIn:
    booking: BookingView
    ticket: TicketView
    names: ReceiptNames
    job_id: str
    follow_url: str


def wrong_site(ref: str, site_name: str) -> AppointmentError:
    return AppointmentError(
        "wrong_site",
        f"appointment {ref} is at {site_name}, not at this kiosk's site",
        f"该预约的办理地点是{site_name}，请到该大厅的自助终端签到。",
        f"This appointment is at {site_name}. Please check in at a kiosk there.",
    )


class AppointmentCheckIn:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        appointments: Appointments,
        hall: Hall,
        jobs: JobService,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._appointments = appointments
        self._hall = hall
        self._jobs = jobs
        self.now = clock

    async def check_in(self, caller: Principal, ref: str, id_number: str) -> CheckedIn:
        person = self._appointments.person(id_number)
        site = caller.device_site or ""
        async with self._sessions() as s:
            b, where = await booking_of(s, ref, person)
            if where.path != site:
                raise wrong_site(ref, where.name)
            try:
                check_check_in(BookingState(b.state), self.now(), b.starts_at, b.ends_at)
            except AppointmentRefused as refused:
                raise AppointmentError.of(refused) from None
            await _check_printer(s, caller.name)
            names = await receipt_names(s, site, b.service_code)
            service_names = await names_of(s, where.id)
        backend = self._hall.queue_for(site)
        ticket = await _take(backend, site, b)
        if not await self._mark(b.id, ticket):
            await _give_back(backend, site, ticket)
            raise AppointmentError.of(_already_checked_in())
        try:
            job_id, url = await self._print(caller, ref, ticket, names)
        except CloudError:
            await self._unmark(b.id)
            await _give_back(backend, site, ticket)
            raise
        async with self._sessions() as s:
            fresh = await s.get(AppointmentBooking, b.id)
            assert fresh is not None
            view = booking_view(fresh, site, where.name, service_names)
        log.info("appointment %s checked in at %s: ticket %s", ref, site, ticket.ticket_no)
        return CheckedIn(view, ticket, names, job_id, url)

    async def _mark(self, booking_id: int, ticket: TicketView) -> bool:
        async with self._sessions() as s:
            done = await s.scalar(
                update(AppointmentBooking)
                .where(
                    AppointmentBooking.id == booking_id,
                    AppointmentBooking.state == BookingState.BOOKED.value,
                )
                .values(
                    state=BookingState.CHECKED_IN.value,
                    ticket_id=ticket.id,
                    ticket_no=ticket.ticket_no,
                    ended_at=self.now(),
                )
                .returning(AppointmentBooking.id)
            )
            await s.commit()
        return done is not None

    async def _unmark(self, booking_id: int) -> None:
        async with self._sessions() as s:
            await s.execute(
                update(AppointmentBooking)
                .where(AppointmentBooking.id == booking_id)
                .values(
                    state=BookingState.BOOKED.value, ticket_id=None, ticket_no="", ended_at=None
                )
            )
            await s.commit()

    async def _print(
        self, caller: Principal, ref: str, ticket: TicketView, names: ReceiptNames
    ) -> tuple[str, str]:
        tickets = self._hall.kiosk_tickets
        url = tickets.follow_url(ticket.site, ticket.id, self.now()) if tickets else ""
        paper = receipt(ticket, names, url) if url else receipt(ticket, names, "-")
        lines = list(paper.lines)
        lines.insert(2, TextLine(text=f"预约签到 Appointment {ref}", align="center", bold=True))
        if not url:
            lines = [line for line in lines if line.type != "qr"]
        params = paper.model_copy(update={"lines": lines})
        req = JobCreate(
            kind=JobKind.PRINT_RECEIPT,
            target=DeviceTarget(device_id=caller.name),
            params=params.model_dump(mode="json", exclude_none=True),
            idempotency_key=f"appointment-check-in:{ref}:{ticket.id}",
            purpose="ticket",
        )
        job, _ = await self._jobs.create(req, caller)
        return job.id, url


async def _take(backend: QueueBackend, site: str, b: AppointmentBooking) -> TicketView:
    if isinstance(backend, BuiltinQueue):
        return await backend.check_in(
            site,
            b.service_code,
            appointment_id=b.ref,
            slot_start=b.starts_at,
            slot_end=b.ends_at,
        )
    return await backend.take(
        site, b.service_code, source="appointment", appointment_id=b.ref, priority=True
    )


async def _give_back(backend: QueueBackend, site: str, ticket: TicketView) -> None:
    try:
        await backend.cancel(site, ticket.id)
    except CloudError:
        log.warning("could not cancel unprinted ticket %s at %s", ticket.ticket_no, site)


async def _check_printer(s: AsyncSession, device_id: str) -> None:
    device = await s.get(Device, device_id)
    if device is None:
        raise NotFound(f"device {device_id} is not registered")
    kind = JobKind.PRINT_RECEIPT
    why = device_target_refusal(
        device_id, device_repo.peripherals(device), CAPABILITY_FOR_KIND[kind], kind.value
    )
    if why:
        raise Conflict(f"this kiosk cannot print tickets: {why}")


def _already_checked_in() -> AppointmentRefused:
    return AppointmentRefused(
        "appointment_checked_in",
        "the appointment was checked in by another request just now",
        "该预约已签到，不能重复签到。",
        "This appointment was already checked in.",
    )
