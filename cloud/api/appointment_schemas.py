"""Bodies and answers of the appointment routes (kiosk device API and console API)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from cloud.kiosk.appointments_model import BookingView, SlotView
from cloud.schemas import _In

SERVICE = r"^[A-Za-z0-9_.-]{1,32}$"
#: 18 characters: 17 digits and a digit or X (the check digit is checked by the service)
ID_NUMBER = r"^[0-9]{17}[0-9Xx]$"
#: a mainland mobile number
PHONE = r"^1[3-9][0-9]{9}$"
REF = r"^Y[0-9]{6}-[0-9]{4}$"
IdNumber = Annotated[str, Field(pattern=ID_NUMBER, description="the citizen's ID number")]


class SlotOut(BaseModel):
    id: int
    service: str
    service_name: str
    service_name_en: str
    #: the hall's local day
    day: str
    starts_at: datetime
    ends_at: datetime
    #: ``2026-12-08 09:00-09:30`` (hall time)
    text: str
    capacity: int
    booked: int
    free: int

    @classmethod
    def of(cls, v: SlotView) -> SlotOut:
        return cls(
            id=v.id,
            service=v.service,
            service_name=v.service_name,
            service_name_en=v.service_name_en,
            day=v.day,
            starts_at=v.starts_at,
            ends_at=v.ends_at,
            text=v.text,
            capacity=v.capacity,
            booked=v.booked,
            free=v.free,
        )


class BookingOut(BaseModel):
    ref: str
    site: str
    site_name: str
    service: str
    service_name: str
    starts_at: datetime
    ends_at: datetime
    slot_text: str
    #: booked | cancelled | checked_in | no_show
    state: str
    id_masked: str
    name_masked: str
    phone_masked: str
    #: whether the last text (confirmation or cancellation) went; a failed text loses nothing
    sms_sent: bool
    #: the queue ticket's number once checked in
    ticket_no: str
    booked_at: datetime

    @classmethod
    def of(cls, v: BookingView) -> BookingOut:
        return cls(**{f: getattr(v, f) for f in cls.model_fields})


class BookIn(_In):
    service: Annotated[str, Field(pattern=SERVICE)]
    slot_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    id_number: IdNumber
    name: Annotated[str, Field(min_length=1, max_length=30)]
    phone: Annotated[str, Field(pattern=PHONE, description="a mainland mobile number")]


class PersonIn(_In):
    """Who asks: the ID number read from the card (the agent adds it from its session)."""

    id_number: IdNumber


class CheckInOut(BaseModel):
    booking: BookingOut
    ticket_id: int
    ticket_no: str
    people_ahead: int
    #: whether the ticket goes ahead of walk-ins (checked in within the slot)
    priority: bool
    queue_name: str
    queue_name_en: str
    #: the ``print_receipt`` job printing it on this kiosk
    job_id: str
    follow_url: str


class SlotPlanIn(_In):
    """A week (or up to 31 days) of slots for one service of a site."""

    service: Annotated[str, Field(pattern=SERVICE)]
    #: the first day (hall time)
    start: date
    days: Annotated[int, Field(ge=1, le=31)] = 7
    #: local slot times, ``HH:MM-HH:MM``, not overlapping
    times: Annotated[
        list[Annotated[str, Field(pattern=r"^[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9]$")]],
        Field(min_length=1, max_length=48),
    ]
    capacity: Annotated[int, Field(ge=1, le=500)]
    #: ISO weekdays to fill (1 = Monday); default Monday to Friday
    weekdays: Annotated[
        list[Annotated[int, Field(ge=1, le=7)]],
        Field(min_length=1, default_factory=lambda: [1, 2, 3, 4, 5]),
    ]


class SlotPlanOut(BaseModel):
    created: int
    #: slots that existed already (kept as they were)
    skipped: int
