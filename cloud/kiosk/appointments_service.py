"""Booking at the kiosk: the bookable slots of the kiosk's site, booking one with the ID card
and a phone number (confirmed by a text), the citizen's own appointments, and cancelling.

The last place of a slot is taken by a conditional ``UPDATE`` (``booked < capacity``), so of
two citizens racing for it exactly one gets it, on SQLite and PostgreSQL alike. A text that
fails never loses the booking: the answer says ``sms_sent: false`` and the kiosk says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.models import Site, utcnow
from cloud.hall.queue_store import bump, site_of
from cloud.kiosk.appointments_model import (
    AppointmentError,
    BookingView,
    SlotView,
    booking_view,
    check_id_number,
    no_such_appointment,
    no_such_slot,
    person_key,
    service_names,
    slot_view,
)
from cloud.kiosk.appointments_tables import (
    AppointmentBooking,
    AppointmentCounter,
    AppointmentSlot,
)
from cloud.kiosk.sms import CitizenSms, SmsNotSent
from fleet.appointments import (
    BOOK_DAYS_AHEAD,
    AppointmentRefused,
    BookingState,
    already_booked,
    check_bookable,
    check_cancellable,
    holding_key,
    reference,
    slot_full,
)
from fleet.queue import hall_day
from protocols.idcard.text import mask_id_number, mask_name

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Person:
    id_number: str
    name: str = ""


class Appointments:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sms: CitizenSms,
        secret: str,
        days_ahead: int = BOOK_DAYS_AHEAD,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._sms = sms
        self._secret = secret
        self.days_ahead = days_ahead
        self.now = clock

    def person(self, id_number: str) -> str:
        check_id_number(id_number)
        return person_key(self._secret, id_number)

    async def slots(self, site: str, service: str = "", day: str = "") -> list[SlotView]:
        """The slots of ``site`` a citizen may book now (not started, within the window)."""
        now = self.now()
        last = (hall_day(now) + timedelta(days=self.days_ahead)).isoformat()
        async with self._sessions() as s:
            where = await site_of(s, site)
            q = select(AppointmentSlot).where(
                AppointmentSlot.site_id == where.id,
                AppointmentSlot.starts_at > now,
                AppointmentSlot.day <= last,
            )
            if service:
                q = q.where(AppointmentSlot.service_code == service)
            if day:
                q = q.where(AppointmentSlot.day == day)
            rows = await s.scalars(q.order_by(AppointmentSlot.starts_at, AppointmentSlot.id))
            names = await service_names(s, where.id)
            return [slot_view(r, names) for r in rows if r.service_code in names]

    async def book(
        self, site: str, device: str, slot_id: int, service: str, who: Person, phone: str
    ) -> BookingView:
        """Hold a place in ``slot_id`` for ``who`` and text the confirmation."""
        person = self.person(who.id_number)
        async with self._sessions() as s:
            where = await site_of(s, site)
            slot = await s.get(AppointmentSlot, slot_id)
            if slot is None or slot.site_id != where.id or slot.service_code != service:
                raise no_such_slot(slot_id)
            try:
                check_bookable(
                    self.now(), slot.starts_at, slot.booked, slot.capacity, self.days_ahead
                )
            except AppointmentRefused as refused:
                raise AppointmentError.of(refused) from None
            day = hall_day(slot.starts_at)
            key = holding_key(person, service, day)
            taken = select(AppointmentBooking.id).where(AppointmentBooking.holding == key)
            if await s.scalar(taken):
                raise AppointmentError.of(already_booked(service, day))
            try:  # the same person racing themselves: PostgreSQL says so at the flush
                booking = await self._hold(s, slot, person, key, who, phone, device)
                await s.commit()
            except IntegrityError:
                raise AppointmentError.of(already_booked(service, day)) from None
            view = booking_view(booking, site, where.name, await service_names(s, where.id))
        return await self._confirm(view, phone)

    async def _hold(
        self,
        s: AsyncSession,
        slot: AppointmentSlot,
        person: str,
        key: str,
        who: Person,
        phone: str,
        device: str,
    ) -> AppointmentBooking:
        taken = await s.scalar(
            update(AppointmentSlot)
            .where(AppointmentSlot.id == slot.id, AppointmentSlot.booked < AppointmentSlot.capacity)
            .values(booked=AppointmentSlot.booked + 1)
            .returning(AppointmentSlot.booked)
        )
        if taken is None:  # another citizen took the last place since we looked
            raise AppointmentError.of(slot_full(slot.capacity))
        seq = await bump(s, AppointmentCounter.__table__, {"day": slot.day}, "last")  # type: ignore[arg-type]
        booking = AppointmentBooking(
            ref=reference(hall_day(slot.starts_at), seq),
            slot_id=slot.id,
            site_id=slot.site_id,
            service_code=slot.service_code,
            day=slot.day,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            person=person,
            id_masked=mask_id_number(who.id_number),
            name_masked=mask_name(who.name) if who.name else "",
            phone=phone,
            state=BookingState.BOOKED.value,
            holding=key,
            sms_sent=False,
            booked_by=device,
            booked_at=self.now(),
        )
        s.add(booking)
        await s.flush()
        return booking

    async def _confirm(self, view: BookingView, phone: str) -> BookingView:
        params = {
            "site": view.site_name,
            "service": view.service_name,
            "slot": view.slot_text,
            "ref": view.ref,
        }
        if not await self._text(phone, "KF_APPT_BOOKED", params, f"appt-booked:{view.ref}"):
            return view
        async with self._sessions() as s:
            await s.execute(
                update(AppointmentBooking)
                .where(AppointmentBooking.ref == view.ref)
                .values(sms_sent=True)
            )
            await s.commit()
        return _with_sms(view, True)

    async def _text(self, phone: str, template: str, params: dict[str, str], rid: str) -> bool:
        try:
            await self._sms.send(phone, template, params, rid)
        except SmsNotSent as err:
            log.warning("appointment %s: %s not sent: %s", params["ref"], template, err)
            return False
        return True

    async def mine(self, id_number: str) -> list[BookingView]:
        """The person's appointments from today on (every site), soonest first."""
        person = self.person(id_number)
        today = hall_day(self.now()).isoformat()
        async with self._sessions() as s:
            rows = (
                await s.execute(
                    select(AppointmentBooking, Site)
                    .join(Site, Site.id == AppointmentBooking.site_id)
                    .where(AppointmentBooking.person == person, AppointmentBooking.day >= today)
                    .order_by(AppointmentBooking.starts_at)
                )
            ).all()
            out = []
            for b, site in rows:
                out.append(booking_view(b, site.path, site.name, await service_names(s, site.id)))
            return out

    async def cancel(self, ref: str, id_number: str) -> BookingView:
        """Cancel before the slot starts; frees the place and texts the citizen."""
        person = self.person(id_number)
        async with self._sessions() as s:
            b, site = await booking_of(s, ref, person)
            try:
                check_cancellable(BookingState(b.state), self.now(), b.starts_at)
            except AppointmentRefused as refused:
                raise AppointmentError.of(refused) from None
            done = await s.scalar(
                update(AppointmentBooking)
                .where(
                    AppointmentBooking.id == b.id,
                    AppointmentBooking.state == BookingState.BOOKED.value,
                )
                .values(state=BookingState.CANCELLED.value, holding=None, ended_at=self.now())
                .returning(AppointmentBooking.id)
            )
            if done is None:
                raise no_such_appointment(ref)
            await s.execute(
                update(AppointmentSlot)
                .where(AppointmentSlot.id == b.slot_id)
                .values(booked=AppointmentSlot.booked - 1)
            )
            await s.commit()
            await s.refresh(b)
            view = booking_view(b, site.path, site.name, await service_names(s, site.id))
        params = {
            "slot": view.slot_text,
            "site": view.site_name,
            "service": view.service_name,
            "ref": view.ref,
        }
        sent = await self._text(b.phone, "KF_APPT_CANCELLED", params, f"appt-cancelled:{ref}")
        return _with_sms(view, sent)


async def booking_of(s: AsyncSession, ref: str, person: str) -> tuple[AppointmentBooking, Site]:
    """The booking ``ref`` of ``person`` (the same 404 for unknown and for someone else's)."""
    b = await s.scalar(select(AppointmentBooking).where(AppointmentBooking.ref == ref))
    if b is None or b.person != person:
        raise no_such_appointment(ref)
    site = await s.get(Site, b.site_id)
    assert site is not None, "a booking's site is a foreign key"
    return b, site


def _with_sms(view: BookingView, sent: bool) -> BookingView:
    return replace(view, sms_sent=sent)
