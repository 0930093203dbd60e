"""The job state machine: every legal and illegal transition, stale acks, retry policy."""

from __future__ import annotations

import itertools

import pytest

from fleet.errors import IllegalTransition
from fleet.jobs import (
    ACK_TO_STATE,
    TRANSITIONS,
    RetryPolicy,
    check_transition,
    is_stale_ack,
    is_terminal,
)
from protocols.jobs import AckState, FailureReason, JobState

S = JobState
LEGAL = {
    (S.QUEUED, S.DISPATCHED),
    (S.QUEUED, S.CANCELED),
    (S.QUEUED, S.EXPIRED),
    (S.QUEUED, S.FAILED),
    (S.DISPATCHED, S.QUEUED),
    (S.DISPATCHED, S.ACCEPTED),
    (S.DISPATCHED, S.RUNNING),
    (S.DISPATCHED, S.SUCCEEDED),
    (S.DISPATCHED, S.FAILED),
    (S.DISPATCHED, S.UNCERTAIN),
    (S.DISPATCHED, S.CANCELED),
    (S.DISPATCHED, S.EXPIRED),
    (S.ACCEPTED, S.QUEUED),
    (S.ACCEPTED, S.RUNNING),
    (S.ACCEPTED, S.SUCCEEDED),
    (S.ACCEPTED, S.FAILED),
    (S.ACCEPTED, S.UNCERTAIN),
    (S.ACCEPTED, S.CANCELED),
    (S.RUNNING, S.QUEUED),
    (S.RUNNING, S.SUCCEEDED),
    (S.RUNNING, S.FAILED),
    (S.RUNNING, S.UNCERTAIN),
    (S.UNCERTAIN, S.QUEUED),
    (S.UNCERTAIN, S.SUCCEEDED),
    (S.UNCERTAIN, S.FAILED),
    (S.UNCERTAIN, S.CANCELED),
}
ALL_PAIRS = list(itertools.product(S, S))


def test_table_is_exactly_the_documented_one() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == LEGAL


@pytest.mark.parametrize(("a", "b"), sorted(LEGAL))
def test_legal(a: JobState, b: JobState) -> None:
    check_transition(a, b)


@pytest.mark.parametrize(("a", "b"), [p for p in ALL_PAIRS if p not in LEGAL])
def test_illegal(a: JobState, b: JobState) -> None:
    with pytest.raises(IllegalTransition, match=f"from {a.value} to {b.value}"):
        check_transition(a, b)


def test_terminal_states_are_final() -> None:
    for s in S:
        assert is_terminal(s) == (s in {S.SUCCEEDED, S.FAILED, S.CANCELED, S.EXPIRED})
        if is_terminal(s):
            assert not TRANSITIONS[s]


def test_uncertain_is_never_left_by_an_agent() -> None:
    for reported in ACK_TO_STATE.values():
        assert is_stale_ack(S.UNCERTAIN, reported)


@pytest.mark.parametrize(
    ("current", "reported", "stale"),
    [
        (S.RUNNING, S.ACCEPTED, True),  # reordered
        (S.RUNNING, S.RUNNING, True),  # duplicate
        (S.SUCCEEDED, S.FAILED, True),  # after the end
        (S.DISPATCHED, S.SUCCEEDED, False),  # skipped steps are fine
        (S.ACCEPTED, S.RUNNING, False),
    ],
)
def test_stale_acks(current: JobState, reported: JobState, stale: bool) -> None:
    assert is_stale_ack(current, reported) is stale


def test_every_ack_state_maps() -> None:
    assert set(ACK_TO_STATE) == set(AckState)
    assert ACK_TO_STATE[AckState.REJECTED] is S.FAILED


def test_retry_policy() -> None:
    p = RetryPolicy(max_attempts=3, backoff_s=2, backoff_cap_s=5)
    assert p.should_retry(FailureReason.PRINTER_UNREACHABLE, 1)
    assert not p.should_retry(FailureReason.PRINTER_UNREACHABLE, 3)
    assert not p.should_retry(FailureReason.PRINTER_SILENT, 1)  # may have printed
    assert not p.should_retry(FailureReason.BAD_PARAMS, 1)
    assert [p.delay_s(n) for n in (1, 2, 3, 4)] == [2, 4, 5, 5]
