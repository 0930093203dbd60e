"""What the appointment services answer (views of slots and bookings) and their errors: each
refusal of ``fleet.appointments`` becomes a :class:`AppointmentError` carrying the citizen's
sentences (the kiosk shows them) and an HTTP status."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.hall import HallService
from cloud.kiosk.appointments_tables import AppointmentBooking, AppointmentSlot
from cloud.kiosk.errors import KioskError
from cloud.kiosk.sms import masked_phone
from fleet.appointments import AppointmentRefused, slot_text
from protocols.idcard.text import is_valid_id_number

#: refusal code → HTTP status (409: the state of things says no; 422: the request cannot be)
_STATUS = {"slot_too_far": 422}


class AppointmentError(KioskError):
    """A booking rule or lookup refused; ``code`` names which (docs/kiosk-appointments.md)."""

    code = "appointment_refused"
    status_code = 409

    def __init__(self, code: str, message: str, zh: str, en: str, status: int = 409) -> None:
        super().__init__(message, zh, en)
        self.code, self.status_code = code, status

    @classmethod
    def of(cls, refused: AppointmentRefused) -> AppointmentError:
        status = _STATUS.get(refused.code, 409)
        return cls(refused.code, str(refused), refused.zh, refused.en, status)


def no_such_appointment(ref: str) -> AppointmentError:
    """Unknown reference, or one booked with another ID card (worded alike: no probing)."""
    return AppointmentError(
        "unknown_appointment",
        f"no appointment {ref} for this ID card",
        "没有找到与该身份证对应的预约，请核对预约号。",
        "No appointment with this number was found for this ID card. Please check the number.",
        404,
    )


def no_such_slot(slot_id: int) -> AppointmentError:
    return AppointmentError(
        "unknown_slot",
        f"slot {slot_id} is not offered for this service at this kiosk's site",
        "该时段不存在或不在本大厅，请重新选择。",
        "This time slot does not exist at this hall. Please choose again.",
        404,
    )


def bad_id_number() -> AppointmentError:
    return AppointmentError(
        "bad_id_number",
        "the ID number fails the GB 11643 check (length, birth date or check digit)",
        "身份证号码有误，请核对后重新输入，或刷身份证。",
        "The ID number is not valid. Please check it, or place your ID card on the reader.",
        422,
    )


def check_id_number(id_number: str) -> None:
    if not is_valid_id_number(id_number):
        raise bad_id_number()


def person_key(secret: str, id_number: str) -> str:
    """The keyed hash a booking keeps instead of the ID number."""
    key = secret.encode()
    return hmac.new(key, id_number.upper().encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class SlotView:
    id: int
    service: str
    service_name: str
    service_name_en: str
    day: str
    starts_at: datetime
    ends_at: datetime
    text: str
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


@dataclass(frozen=True, slots=True)
class BookingView:
    ref: str
    site: str
    site_name: str
    service: str
    service_name: str
    starts_at: datetime
    ends_at: datetime
    slot_text: str
    state: str
    id_masked: str
    name_masked: str
    phone_masked: str
    sms_sent: bool
    ticket_no: str
    booked_at: datetime


#: service code → (zh, en) names
Names = dict[str, tuple[str, str]]


async def service_names(s: AsyncSession, site_id: int) -> Names:
    rows = await s.execute(
        select(HallService.code, HallService.name_zh, HallService.name_en).where(
            HallService.site_id == site_id
        )
    )
    return {code: (zh, en or zh) for code, zh, en in rows.all()}


def slot_view(slot: AppointmentSlot, names: Names) -> SlotView:
    zh, en = names.get(slot.service_code, (slot.service_code, slot.service_code))
    return SlotView(
        id=slot.id,
        service=slot.service_code,
        service_name=zh,
        service_name_en=en,
        day=slot.day,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        text=slot_text(slot.starts_at, slot.ends_at),
        capacity=slot.capacity,
        booked=slot.booked,
    )


def booking_view(b: AppointmentBooking, site: str, site_name: str, names: Names) -> BookingView:
    return BookingView(
        ref=b.ref,
        site=site,
        site_name=site_name,
        service=b.service_code,
        service_name=names.get(b.service_code, (b.service_code, ""))[0],
        starts_at=b.starts_at,
        ends_at=b.ends_at,
        slot_text=slot_text(b.starts_at, b.ends_at),
        state=b.state,
        id_masked=b.id_masked,
        name_masked=b.name_masked,
        phone_masked=masked_phone(b.phone),
        sms_sent=b.sms_sent,
        ticket_no=b.ticket_no,
        booked_at=b.booked_at,
    )
