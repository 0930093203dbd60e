"""``fleet.appointments``: when a slot may be booked, cancelled and checked in, no-shows,
references, and laying out a week of slots."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from fleet.appointments import (
    AppointmentRefused,
    BookingState,
    SlotTime,
    check_bookable,
    check_cancellable,
    check_check_in,
    holding_key,
    is_no_show,
    parse_times,
    reference,
    slot_text,
    week_slots,
)
from fleet.queue import HALL_TZ

NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 09:00 in the hall (UTC+8), a Monday
START = NOW + timedelta(hours=1)
END = START + timedelta(minutes=30)


def _code(call: object, *args: object) -> str:
    with pytest.raises(AppointmentRefused) as got:
        call(*args)  # type: ignore[operator]
    assert got.value.zh and got.value.en and str(got.value)
    return got.value.code


def test_booking_needs_a_future_slot_within_the_window_with_a_place() -> None:
    check_bookable(NOW, START, booked=1, capacity=2)
    assert _code(check_bookable, NOW, START, 2, 2) == "slot_full"
    assert _code(check_bookable, NOW, NOW, 0, 2) == "slot_started"
    last_day = datetime(2026, 12, 21, 15, 59, tzinfo=UTC)  # 23:59 hall time, day +14
    check_bookable(NOW, last_day, 0, 1)
    assert _code(check_bookable, NOW, last_day + timedelta(minutes=2), 0, 1) == "slot_too_far"
    check_bookable(NOW, last_day + timedelta(days=1), 0, 1, days_ahead=15)


def test_cancel_only_a_booked_one_before_its_slot() -> None:
    check_cancellable(BookingState.BOOKED, START - timedelta(seconds=1), START)
    assert _code(check_cancellable, BookingState.BOOKED, START, START) == "slot_started"
    for state in (BookingState.CANCELLED, BookingState.CHECKED_IN, BookingState.NO_SHOW):
        assert _code(check_cancellable, state, NOW, START) == "not_cancellable"


def test_check_in_from_15_minutes_before_until_the_slot_ends() -> None:
    check_check_in(BookingState.BOOKED, START - timedelta(minutes=15), START, END)
    check_check_in(BookingState.BOOKED, END, START, END)
    early = START - timedelta(minutes=15, seconds=1)
    assert _code(check_check_in, BookingState.BOOKED, early, START, END) == "too_early"
    late = END + timedelta(seconds=1)
    assert _code(check_check_in, BookingState.BOOKED, late, START, END) == "too_late"
    assert _code(check_check_in, BookingState.CANCELLED, START, START, END) == (
        "appointment_cancelled"
    )
    assert _code(check_check_in, BookingState.CHECKED_IN, START, START, END) == (
        "appointment_checked_in"
    )


def test_too_early_says_when_check_in_opens_in_hall_time() -> None:
    with pytest.raises(AppointmentRefused) as got:
        check_check_in(BookingState.BOOKED, NOW, START, END)  # slot 10:00 hall time
    assert "09:45" in got.value.zh and "09:45" in got.value.en


def test_no_show_only_after_the_slot_and_only_if_still_booked() -> None:
    assert not is_no_show(BookingState.BOOKED, END, END)
    assert is_no_show(BookingState.BOOKED, END + timedelta(seconds=1), END)
    assert not is_no_show(BookingState.CHECKED_IN, END + timedelta(hours=1), END)


def test_references_and_texts() -> None:
    assert reference(date(2026, 12, 8), 7) == "Y261208-0007"
    with pytest.raises(ValueError):
        reference(date(2026, 12, 8), 10000)
    assert slot_text(START, END) == "2026-12-07 10:00-10:30"
    assert holding_key("p", "household", date(2026, 12, 8)) == "p:household:2026-12-08"


def test_times_parse_sorted_and_refuse_overlaps() -> None:
    assert parse_times(["10:00-10:30", "09:00-09:30"]) == [
        SlotTime(time(9), time(9, 30)),
        SlotTime(time(10), time(10, 30)),
    ]
    for bad in (["9-10"], ["10:00-09:00"], ["09:00-10:00", "09:59-10:30"]):
        with pytest.raises(ValueError):
            parse_times(bad)


def test_a_week_of_slots_on_working_days_in_hall_time() -> None:
    times = parse_times(["09:00-09:30", "14:00-14:30"])
    slots = week_slots(date(2026, 12, 7), 7, times, frozenset({1, 2, 3, 4, 5}))
    assert len(slots) == 10
    first, last = slots[0], slots[-1]
    assert first[0] == datetime(2026, 12, 7, 9, 0, tzinfo=HALL_TZ)
    assert first[0].astimezone(UTC).hour == 1
    assert last[1] == datetime(2026, 12, 11, 14, 30, tzinfo=HALL_TZ)  # Friday
