"""``fleet.help_calls``: who rings, when a call moves on or is missed, one operator per call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleet import help_calls as hc
from fleet.errors import IllegalTransition

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TIMING = hc.Timing(ring_timeout_s=20, wait_limit_s=90, missed_at_once_when_nobody_on_duty=True)


def _op(name: str, idle_since_min: int, sees: bool = True, busy: bool = False) -> hc.Operator:
    return hc.Operator(name, sees, busy, T0 - timedelta(minutes=idle_since_min))


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


NEW = hc.Call(state="waiting", created_at=T0)


def test_nobody_on_duty_is_missed_at_once_or_waits_if_so_set() -> None:
    assert hc.on_create(NEW, [], TIMING, T0).state == "missed"
    # someone on duty, but for another subtree: still nobody for this kiosk
    assert hc.on_create(NEW, [_op("a", 5, sees=False)], TIMING, T0).state == "missed"
    patient = hc.Timing(20, 90, missed_at_once_when_nobody_on_duty=False)
    waiting = hc.on_create(NEW, [], patient, T0)
    assert waiting.state == "waiting" and waiting.ringing_to is None
    assert hc.tick(waiting, [], patient, _at(89)).state == "waiting"
    missed = hc.tick(waiting, [], patient, _at(90))
    assert (missed.state, missed.ended_reason) == ("missed", "wait limit reached")


def test_the_operator_idle_longest_rings_first_and_busy_ones_never() -> None:
    duty = [_op("recent", 1), _op("longest", 30, busy=True), _op("idle", 10)]
    call = hc.on_create(NEW, duty, TIMING, T0)
    assert (call.state, call.ringing_to, call.rung) == ("ringing", "idle", ("idle",))


def test_an_unanswered_ring_moves_on_then_starts_a_new_round() -> None:
    duty = [_op("a", 30), _op("b", 20), _op("c", 10)]
    call = hc.on_create(NEW, duty, TIMING, T0)
    assert call.ringing_to == "a"
    assert hc.tick(call, duty, TIMING, _at(19)) == call  # not yet
    call = hc.tick(call, duty, TIMING, _at(20))
    assert (call.ringing_to, call.ringing_since) == ("b", _at(20))
    call = hc.tick(call, duty, TIMING, _at(40))
    call = hc.tick(call, duty, TIMING, _at(60))
    assert (call.ringing_to, call.rung) == ("a", ("a", "b", "c"))  # round two: a again
    assert hc.tick(call, duty, TIMING, _at(90)).state == "missed"


def test_a_ringing_operator_who_leaves_or_becomes_busy_passes_the_ring_on() -> None:
    duty = [_op("a", 30), _op("b", 20)]
    call = hc.on_create(NEW, duty, TIMING, T0)
    assert hc.tick(call, [_op("b", 20)], TIMING, _at(1)).ringing_to == "b"
    busy = [_op("a", 30, busy=True), _op("b", 20, busy=True)]
    assert hc.tick(call, busy, TIMING, _at(1)).state == "waiting"


def test_a_waiting_call_rings_when_someone_is_free() -> None:
    call = hc.on_create(NEW, [_op("a", 5, busy=True)], TIMING, T0)
    assert call.state == "waiting"
    assert hc.tick(call, [_op("a", 0)], TIMING, _at(5)).ringing_to == "a"


def test_one_operator_per_call() -> None:
    call = hc.on_create(NEW, [_op("a", 5)], TIMING, T0)
    taken = hc.accept(call, "b")  # anyone on duty may take it, not only the one rung
    assert (taken.state, taken.operator) == ("active", "b")
    assert hc.accept(taken, "b") == taken  # the same operator's retry
    with pytest.raises(IllegalTransition, match="already active by b"):
        hc.accept(taken, "a")
    assert hc.tick(taken, [], TIMING, _at(500)) == taken  # time leaves an active call alone


def test_cancel_and_end() -> None:
    call = hc.on_create(NEW, [_op("a", 5)], TIMING, T0)
    assert hc.cancel(call).state == "cancelled"
    with pytest.raises(IllegalTransition):
        hc.end(call, "x")
    active = hc.accept(call, "a")
    assert hc.cancel(active) == hc.end(active, "ended by citizen")
    ended = hc.end(active, "done")
    assert hc.cancel(ended) == ended
    with pytest.raises(IllegalTransition):
        hc.accept(ended, "a")


def test_next_deadline() -> None:
    call = hc.on_create(NEW, [_op("a", 5)], TIMING, T0)
    assert hc.next_deadline(call, TIMING) == _at(20)
    assert hc.next_deadline(hc.accept(call, "a"), TIMING) is None


def test_an_answered_call_survives_a_short_drop_of_its_kiosk() -> None:
    active = hc.accept(hc.on_create(NEW, [_op("a", 5)], TIMING, T0), "a")
    assert hc.link_lost(active, None, TIMING) == active
    assert hc.link_lost(active, 29.9, TIMING) == active
    dropped = hc.link_lost(active, 30, TIMING)
    assert (dropped.state, dropped.ended_reason) == ("ended", hc.KIOSK_OFFLINE)
