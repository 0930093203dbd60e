"""Appointment (办事预约) rules, free of I/O: when a slot may be booked, cancelled and checked
in, when a booking becomes a no-show, how slots of a week are laid out and how a booking's
reference reads. ``cloud.kiosk.appointments_*`` loads, asks these and persists.

A booking's life::

    booked ──cancel (before the slot starts)──▶ cancelled
    booked ──check in (15 min before start .. end, fleet.queue.in_slot)──▶ checked_in
    booked ──the slot ended, nobody came (the sweep)──▶ no_show

Each refusal is a :class:`AppointmentRefused` with a stable ``code`` and the citizen's sentence
in Chinese and English (the kiosk shows it) besides the technician's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise

from fleet.queue import EARLY_CHECK_IN, HALL_TZ, hall_day, in_slot

__all__ = [
    "BOOK_DAYS_AHEAD",
    "HOLDING",
    "AppointmentRefused",
    "BookingState",
    "SlotTime",
    "already_booked",
    "check_bookable",
    "check_cancellable",
    "check_check_in",
    "holding_key",
    "is_no_show",
    "parse_times",
    "reference",
    "slot_full",
    "slot_text",
    "week_slots",
]

#: a citizen may book a slot from now until the end of the 14th day from today
BOOK_DAYS_AHEAD = 14


class BookingState(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    NO_SHOW = "no_show"


#: states that hold a place in the slot (and count for "one per person per service per day")
HOLDING = frozenset({BookingState.BOOKED, BookingState.CHECKED_IN})


class AppointmentRefused(ValueError):
    """A rule said no; ``code`` is stable, ``zh``/``en`` are the citizen's sentences."""

    def __init__(self, code: str, message: str, zh: str, en: str) -> None:
        super().__init__(message)
        self.code, self.zh, self.en = code, zh, en


@dataclass(frozen=True, slots=True)
class SlotTime:
    """A slot's start and end as local times of the day (``09:00-09:30``)."""

    start: time
    end: time


def _hm(at: datetime) -> str:
    return at.astimezone(HALL_TZ).strftime("%H:%M")


def slot_text(start: datetime, end: datetime) -> str:
    """``2026-12-08 09:00-09:30`` in the hall's local time (SMS, receipts, screens)."""
    return f"{hall_day(start).isoformat()} {_hm(start)}-{_hm(end)}"


def check_bookable(
    now: datetime, start: datetime, booked: int, capacity: int, days_ahead: int = BOOK_DAYS_AHEAD
) -> None:
    """A slot may be booked while it has not started, lies within ``days_ahead`` days from
    today (hall time) and has a free place."""
    if start <= now:
        raise AppointmentRefused(
            "slot_started",
            f"the slot starting {start.isoformat()} has started or passed; choose a later one",
            "该时段已开始或已过，请选择之后的时段。",
            "This time slot has already started. Please choose a later one.",
        )
    last_day = hall_day(now) + timedelta(days=days_ahead)
    if hall_day(start) > last_day:
        raise AppointmentRefused(
            "slot_too_far",
            f"slots can be booked up to {last_day.isoformat()} ({days_ahead} days ahead)",
            f"只能预约{days_ahead}天以内的时段。",
            f"Slots can be booked at most {days_ahead} days ahead.",
        )
    if booked >= capacity:
        raise slot_full(capacity)


def slot_full(capacity: int) -> AppointmentRefused:
    return AppointmentRefused(
        "slot_full",
        f"the slot is booked out (all {capacity} places taken)",
        "该时段已约满，请选择其他时段。",
        "This time slot is fully booked. Please choose another one.",
    )


def check_cancellable(state: BookingState, now: datetime, start: datetime) -> None:
    """Only a booked (not yet checked-in) appointment may be cancelled, until its slot starts."""
    if state is not BookingState.BOOKED:
        raise AppointmentRefused(
            "not_cancellable",
            f"the appointment is {state.value}; only a booked one can be cancelled",
            "该预约已签到、已取消或已失约，不能取消。",
            "This appointment was already checked in, cancelled or missed; it cannot be cancelled.",
        )
    if now >= start:
        raise AppointmentRefused(
            "slot_started",
            "the slot has started: an appointment can be cancelled only before its slot",
            "预约时段已开始，不能再取消。",
            "The appointment's time slot has started; it can no longer be cancelled.",
        )


def check_check_in(state: BookingState, now: datetime, start: datetime, end: datetime) -> None:
    """Check-in needs a booked appointment and the time within :func:`fleet.queue.in_slot`
    (from 15 minutes before the slot until it ends)."""
    if state is not BookingState.BOOKED:
        zh, en = _STATE_WORDS[state]
        raise AppointmentRefused(
            f"appointment_{state.value}",
            f"the appointment is {state.value}; only a booked one can check in",
            f"该预约{zh}，不能签到。如需办理，请重新取号。",
            f"This appointment {en}; it cannot be checked in. Please take an ordinary ticket.",
        )
    if in_slot(now, start, end):
        return
    if now < start - EARLY_CHECK_IN:
        opens = _hm(start - EARLY_CHECK_IN)
        raise AppointmentRefused(
            "too_early",
            f"check-in opens at {opens} (15 minutes before the slot)",
            f"还未到签到时间，请于{opens}后再来签到。",
            f"Check-in opens at {opens}. Please come back then.",
        )
    raise AppointmentRefused(
        "too_late",
        "the slot has ended; the appointment can no longer be checked in",
        "预约时段已结束，不能签到。请取普通号办理。",
        "The appointment's time slot has ended. Please take an ordinary ticket.",
    )


_STATE_WORDS = {
    BookingState.CANCELLED: ("已取消", "was cancelled"),
    BookingState.CHECKED_IN: ("已签到", "was already checked in"),
    BookingState.NO_SHOW: ("已过期失约", "was missed"),
    BookingState.BOOKED: ("", ""),
}


def holding_key(person: str, service: str, day: date) -> str:
    """One holding booking per person per service per day: a unique key while it holds a
    place (cleared when cancelled or missed)."""
    return f"{person}:{service}:{day.isoformat()}"


def already_booked(service: str, day: date) -> AppointmentRefused:
    return AppointmentRefused(
        "already_booked",
        f"this person already holds an appointment for {service} on {day.isoformat()}",
        "您当天已预约过该事项，每人每天每项只能预约一次。可在“我的预约”中查看或取消。",
        "You already have an appointment for this service on that day (one per day). "
        "See or cancel it under My appointments.",
    )


def is_no_show(state: BookingState, now: datetime, end: datetime) -> bool:
    """A booked appointment whose slot has ended without a check-in."""
    return state is BookingState.BOOKED and now > end


def reference(day: date, seq: int) -> str:
    """``Y261208-0007``: the slot's day and the day's booking number (read out at a window)."""
    if not 1 <= seq <= 9999:
        raise ValueError(f"a booking number of a day is 1..9999, got {seq}")
    return f"Y{day.strftime('%y%m%d')}-{seq:04d}"


def parse_times(texts: list[str]) -> list[SlotTime]:
    """``["09:00-09:30", ...]`` → slot times; each must end after it starts, none overlap."""
    out: list[SlotTime] = []
    for text in texts:
        try:
            a, b = text.split("-")
            start, end = time.fromisoformat(a.strip()), time.fromisoformat(b.strip())
        except ValueError:
            raise ValueError(f"slot time {text!r} is not HH:MM-HH:MM (e.g. 09:00-09:30)") from None
        if end <= start:
            raise ValueError(f"slot time {text!r} ends before it starts")
        out.append(SlotTime(start, end))
    out.sort(key=lambda t: t.start)
    for first, second in pairwise(out):
        if second.start < first.end:
            raise ValueError(f"slot times {first.start}-{first.end} and {second.start} overlap")
    return out


def week_slots(
    first_day: date, days: int, times: list[SlotTime], weekdays: frozenset[int]
) -> list[tuple[datetime, datetime]]:
    """Every slot (start, end; aware, hall time) of ``days`` days from ``first_day`` on the
    given ISO weekdays (1 = Monday)."""
    out: list[tuple[datetime, datetime]] = []
    for n in range(days):
        day = first_day + timedelta(days=n)
        if day.isoweekday() not in weekdays:
            continue
        for t in times:
            start = datetime.combine(day, t.start, HALL_TZ)
            out.append((start, datetime.combine(day, t.end, HALL_TZ)))
    return out
