"""The queue's rules (``fleet.queue``): every legal and illegal transition with its message,
choose-next's preference order, FIFO and appointment priority, and the numbering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleet.queue import (
    IllegalTransition,
    Op,
    Waiting,
    choose_next,
    hall_day,
    in_slot,
    next_state,
    priority_streak,
    ticket_no,
)
from protocols.hall import TicketState as S

LEGAL = {
    (Op.CALL, S.ISSUED): S.CALLED,
    (Op.RECALL, S.CALLED): S.CALLED,
    (Op.START, S.CALLED): S.SERVING,
    (Op.NO_SHOW, S.CALLED): S.NO_SHOW,
    (Op.COMPLETE, S.SERVING): S.DONE,
    (Op.CANCEL, S.ISSUED): S.CANCELLED,
    (Op.CANCEL, S.CALLED): S.CANCELLED,
    (Op.TRANSFER, S.ISSUED): S.TRANSFERRED,
    (Op.TRANSFER, S.CALLED): S.TRANSFERRED,
    (Op.TRANSFER, S.SERVING): S.TRANSFERRED,
}
ILLEGAL = [(op, st) for op in Op for st in S if (op, st) not in LEGAL]


@pytest.mark.parametrize(("op", "state"), list(LEGAL))
def test_legal_transition(op: Op, state: S) -> None:
    assert next_state(state, op, "A001") is LEGAL[(op, state)]


@pytest.mark.parametrize(("op", "state"), ILLEGAL)
def test_illegal_transition_names_op_ticket_and_state(op: Op, state: S) -> None:
    with pytest.raises(IllegalTransition) as err:
        next_state(state, op, "B007")
    text = str(err.value)
    assert text.startswith(f"cannot {op.value.replace('_', '-')} ticket B007: it is {state.value}")
    assert (err.value.op, err.value.state) == (op, state)


def test_there_are_exactly_ten_legal_transitions() -> None:
    assert len(ILLEGAL) == len(Op) * len(S) - 10


@pytest.mark.parametrize(
    ("op", "state", "message"),
    [
        (
            Op.COMPLETE,
            S.CALLED,
            "cannot complete ticket A001: it is called (called, the citizen is not at the "
            "window yet); only a ticket being served can be completed; start serving it first",
        ),
        (
            Op.NO_SHOW,
            S.SERVING,
            "cannot no-show ticket A001: it is serving (being served); only a called ticket can "
            "be a no-show; a served one is completed instead",
        ),
        (
            Op.CANCEL,
            S.DONE,
            "cannot cancel ticket A001: it is done (finished); only a waiting or called ticket "
            "can be cancelled",
        ),
    ],
)
def test_precise_messages(op: Op, state: S, message: str) -> None:
    with pytest.raises(
        IllegalTransition, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"
    ):
        next_state(state, op, "A001")


T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def w(i: int, q: str = "a", minute: int = 0, prio: bool = False, to: str = "") -> Waiting:
    return Waiting(i, q, T0 + timedelta(minutes=minute if minute else i), prio, to)


def test_fifo_within_a_queue_by_issue_time_then_id() -> None:
    tickets = [w(3, minute=5), w(1, minute=7), w(2, minute=5)]
    assert choose_next(tickets, "1", ["a"]) == tickets[2]


def test_preference_order_first_queue_with_someone_waiting() -> None:
    tickets = [w(1, "a"), w(2, "b"), w(3, "c")]
    assert choose_next(tickets, "1", ["b", "a"]) == tickets[1]
    assert choose_next(tickets, "1", ["x", "c", "a"]) == tickets[2]
    assert choose_next(tickets, "1", ["x"]) is None
    assert choose_next([], "1", ["a"]) is None


def test_appointment_in_slot_goes_ahead_of_older_walk_ins() -> None:
    tickets = [w(1), w(2), w(3, prio=True)]
    assert choose_next(tickets, "1", ["a"]) == tickets[2]


def test_at_most_n_priority_calls_in_a_row_then_a_walk_in() -> None:
    tickets = [w(1), w(2, prio=True), w(3, prio=True)]
    assert choose_next(tickets, "1", ["a"], {"a": 1}) == tickets[1]
    assert choose_next(tickets, "1", ["a"], {"a": 2}) == tickets[0]
    assert choose_next(tickets, "1", ["a"], {"a": 2}, max_in_row=3) == tickets[1]


def test_priority_streak_without_walk_ins_still_calls_priority() -> None:
    tickets = [w(2, prio=True)]
    assert choose_next(tickets, "1", ["a"], {"a": 9}) == tickets[0]


def test_streak_counts_only_the_head() -> None:
    assert priority_streak([True, True, False, True]) == 2
    assert priority_streak([False, True]) == 0
    assert priority_streak([]) == 0


def test_a_ticket_transferred_to_a_window_goes_first_there_only() -> None:
    tickets = [w(1, "a"), w(2, "b", to="5")]
    assert choose_next(tickets, "5", ["a"]) == tickets[1]
    assert choose_next(tickets, "4", ["a", "b"]) == tickets[0]
    assert choose_next([tickets[1]], "4", ["b"]) is None


@pytest.mark.parametrize(
    ("seq", "no"), [(1, "A001"), (12, "A012"), (999, "A999"), (1000, "A001"), (1998, "A999")]
)
def test_numbering_wraps_after_999(seq: int, no: str) -> None:
    assert ticket_no("A", seq) == no


def test_numbering_refuses_zero() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        ticket_no("A", 0)


def test_hall_day_is_local_utc_plus_8() -> None:
    assert str(hall_day(datetime(2026, 12, 6, 16, 30, tzinfo=UTC))) == "2026-12-07"
    assert str(hall_day(datetime(2026, 12, 6, 15, 59, tzinfo=UTC))) == "2026-12-06"
    with pytest.raises(ValueError, match="naive"):
        hall_day(datetime(2026, 12, 6))


def test_in_slot_from_15_minutes_early_until_the_end() -> None:
    start, end = T0, T0 + timedelta(minutes=30)
    assert in_slot(T0 - timedelta(minutes=15), start, end)
    assert not in_slot(T0 - timedelta(minutes=15, seconds=1), start, end)
    assert in_slot(end, start, end)
    assert not in_slot(end + timedelta(seconds=1), start, end)
    with pytest.raises(ValueError, match=r"ends .* before it starts"):
        in_slot(T0, end, start)
