"""The appointments' tables (migration ``0019``): slots with their capacity and a running
count of places held, bookings, and the per-day booking number behind the references.

``appointment_slots.booked`` is moved only by a conditional ``UPDATE`` (``booked < capacity``)
in the booking's transaction, so two citizens racing for the last place cannot both get it.
A booking keeps no ID number: ``person`` is its keyed hash (to find "my appointments"), and
the masked forms are what the console shows. ``holding`` is unique while the booking holds a
place (one per person, service and day) and cleared when it is cancelled or missed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow


class AppointmentSlot(Base):
    __tablename__ = "appointment_slots"
    __table_args__ = (
        UniqueConstraint("site_id", "service_code", "starts_at", name="uq_appointment_slot"),
        Index("ix_appointment_slots_day", "site_id", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    service_code: Mapped[str] = mapped_column(String(32))
    #: the hall's local day (``YYYY-MM-DD``)
    day: Mapped[str] = mapped_column(String(10))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    capacity: Mapped[int] = mapped_column(Integer)
    #: places held (booked or checked in)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppointmentBooking(Base):
    __tablename__ = "appointment_bookings"
    __table_args__ = (
        Index("ix_appointment_bookings_person", "person"),
        Index("ix_appointment_bookings_site_day", "site_id", "day"),
        Index("ix_appointment_bookings_state_end", "state", "ends_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: ``Y261208-0007``
    ref: Mapped[str] = mapped_column(String(16), unique=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("appointment_slots.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    service_code: Mapped[str] = mapped_column(String(32))
    day: Mapped[str] = mapped_column(String(10))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    #: HMAC of the ID number (never the number itself)
    person: Mapped[str] = mapped_column(String(64))
    id_masked: Mapped[str] = mapped_column(String(24))
    name_masked: Mapped[str] = mapped_column(String(32))
    #: for the confirmation and cancellation texts
    phone: Mapped[str] = mapped_column(String(20))
    #: ``fleet.appointments.BookingState``
    state: Mapped[str] = mapped_column(String(16))
    #: ``fleet.appointments.holding_key`` while it holds a place, else NULL
    holding: Mapped[str | None] = mapped_column(String(128), unique=True)
    #: whether the confirmation text went (a failed text never loses the booking)
    sms_sent: Mapped[bool] = mapped_column(default=False)
    booked_by: Mapped[str] = mapped_column(String(64), default="")
    booked_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    ticket_no: Mapped[str] = mapped_column(String(8), default="")


class AppointmentCounter(Base):
    """The last booking number given for a slot day."""

    __tablename__ = "appointment_counters"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
