"""fleet.availability: uptime from presence changes, silent counted as down, unknown apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleet.availability import Uptime, presence_of, total, uptime

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_silent_counts_as_down_and_time_before_the_first_event_is_unknown() -> None:
    changes = [
        (at(10), presence_of("birth", {"bd_seq": 1, "online": True})),
        (at(40), presence_of("silent")),
        (at(50), presence_of("online")),  # back after 10 min of silence
        (at(70), presence_of("offline")),
        (at(80), presence_of("birth", {"bd_seq": 2})),  # older births: online
    ]
    got = uptime([(w, u) for w, u in changes if u is not None], at(0), at(100))
    assert got == Uptime(up_s=(30 + 20 + 20) * 60, down_s=(10 + 10) * 60, unknown_s=10 * 60)
    assert got.pct == 100 * 70 / 90


def test_the_state_before_the_period_carries_into_it_and_events_after_it_do_not_count() -> None:
    changes = [(at(-30), False), (at(20), True), (at(120), False)]
    assert uptime(changes, at(0), at(100)) == Uptime(up_s=80 * 60, down_s=20 * 60)
    assert uptime(changes[1:], at(0), at(100), state_at_start=False) == uptime(
        changes, at(0), at(100)
    )
    assert uptime([], at(0), at(10), state_at_start=True).pct == 100.0


def test_nothing_known_has_no_percentage_and_an_empty_period_is_zero() -> None:
    assert uptime([], at(0), at(10)).pct is None
    assert uptime([(at(1), True)], at(10), at(10)) == Uptime()


def test_a_birth_of_an_ended_session_is_not_up_and_other_events_say_nothing() -> None:
    assert presence_of("birth", {"online": False}) is False
    assert presence_of("peripheral_health") is None
    assert presence_of("registered") is None


def test_sites_sum_device_seconds() -> None:
    a = Uptime(up_s=90, down_s=10)
    b = Uptime(up_s=50, down_s=50, unknown_s=100)
    assert total([a, b]) == Uptime(140, 60, 100)
    assert total([a, b]).pct == 70.0
