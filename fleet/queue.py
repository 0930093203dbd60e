"""The hall queue's rules, free of I/O: which ticket transitions are legal, which ticket a
window calls next, and how tickets are numbered. ``cloud.hall.queue_service`` loads, asks these
and persists; the wording of the errors here is what a window clerk reads.

Transitions (``protocols.hall.TicketState``)::

    issued ──call──▶ called ──start──▶ serving ──complete──▶ done
                     called ──recall──▶ called (recalls + 1)
                     called ──no_show──▶ no_show
    issued | called ──cancel──▶ cancelled
    issued | called | serving ──transfer──▶ transferred (+ a new linked ticket, issued)

Choosing the next ticket for a window:

1. Tickets transferred *to this window* come first (oldest first): the citizen already waited.
2. Then the window's queues in its preference order: the first queue with anyone waiting.
3. Within that queue, FIFO by issue time (a transferred ticket keeps its first issue time), except
   that a **priority** ticket — an appointment checked in within its booked slot — goes ahead
   of the walk-ins, at most :data:`MAX_PRIORITY_IN_ROW` in a row per queue: after that many
   consecutive priority calls from the queue, the oldest walk-in is called before the next
   priority ticket, so walk-ins are never starved by a stream of appointments.

Numbering: per queue per (local) day, the queue's prefix and 3 digits (``A001`` … ``A999``);
the 1000th ticket of a day wraps to ``A001`` again (numbers repeat only after 999 tickets of one
queue in one day; the ticket id stays unique). A transferred ticket keeps its number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from protocols.hall import TicketState

__all__ = [
    "ACTIVE",
    "HALL_TZ",
    "MAX_PRIORITY_IN_ROW",
    "IllegalTransition",
    "Op",
    "Waiting",
    "choose_next",
    "hall_day",
    "in_slot",
    "next_state",
    "priority_streak",
    "ticket_no",
]

#: the pilots' local time (UTC+8, no DST): the day tickets are numbered in
HALL_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
#: at most this many priority (appointment) calls in a row from one queue
MAX_PRIORITY_IN_ROW = 2
#: numbers per queue per day before they wrap
NUMBERS_PER_DAY = 999
#: a ticket a window has in hand (at most one per window)
ACTIVE = frozenset({TicketState.CALLED, TicketState.SERVING})
#: a ticket that still waits in a queue or is in hand — anything else is finished
OPEN = frozenset({TicketState.ISSUED, TicketState.CALLED, TicketState.SERVING})


class Op(StrEnum):
    CALL = "call"
    RECALL = "recall"
    START = "start"
    NO_SHOW = "no_show"
    COMPLETE = "complete"
    CANCEL = "cancel"
    TRANSFER = "transfer"


_S = TicketState
#: op → (the states it applies to, the state it leads to)
_RULES: dict[Op, tuple[frozenset[TicketState], TicketState]] = {
    Op.CALL: (frozenset({_S.ISSUED}), _S.CALLED),
    Op.RECALL: (frozenset({_S.CALLED}), _S.CALLED),
    Op.START: (frozenset({_S.CALLED}), _S.SERVING),
    Op.NO_SHOW: (frozenset({_S.CALLED}), _S.NO_SHOW),
    Op.COMPLETE: (frozenset({_S.SERVING}), _S.DONE),
    Op.CANCEL: (frozenset({_S.ISSUED, _S.CALLED}), _S.CANCELLED),
    Op.TRANSFER: (frozenset({_S.ISSUED, _S.CALLED, _S.SERVING}), _S.TRANSFERRED),
}
_MEANING = {
    _S.ISSUED: "still waiting to be called",
    _S.CALLED: "called, the citizen is not at the window yet",
    _S.SERVING: "being served",
    _S.DONE: "finished",
    _S.NO_SHOW: "closed as a no-show",
    _S.CANCELLED: "cancelled",
    _S.TRANSFERRED: "transferred to another ticket",
}
_HINT = {
    Op.CALL: "only a waiting (issued) ticket can be called",
    Op.RECALL: "only a called ticket can be recalled; start serving or call the next one",
    Op.START: "only a called ticket can start being served",
    Op.NO_SHOW: "only a called ticket can be a no-show; a served one is completed instead",
    Op.COMPLETE: "only a ticket being served can be completed; start serving it first",
    Op.CANCEL: "only a waiting or called ticket can be cancelled",
    Op.TRANSFER: "only a waiting, called or served ticket can be transferred",
}


class IllegalTransition(ValueError):
    """``op`` does not apply to a ticket in ``state``; the message says why and what would."""

    def __init__(self, op: Op, state: TicketState, ticket_no: str = "") -> None:
        self.op, self.state, self.ticket_no = op, state, ticket_no
        which = f"ticket {ticket_no}" if ticket_no else "the ticket"
        super().__init__(
            f"cannot {op.value.replace('_', '-')} {which}: it is {state.value} "
            f"({_MEANING[state]}); {_HINT[op]}"
        )


def next_state(state: TicketState, op: Op, ticket_no: str = "") -> TicketState:
    """The state ``op`` leads to from ``state``, or :class:`IllegalTransition`."""
    sources, target = _RULES[op]
    if state not in sources:
        raise IllegalTransition(op, state, ticket_no)
    return target


@dataclass(frozen=True, slots=True)
class Waiting:
    """A ticket waiting to be called (state issued), as choose-next sees it."""

    id: int
    queue_code: str
    issued_at: datetime
    #: an appointment checked in within its slot (goes ahead of walk-ins, see the module doc)
    priority: bool = False
    #: transferred to this window only ("" any window serving its queue)
    for_window: str = ""


def _fifo(t: Waiting) -> tuple[datetime, int]:
    return (t.issued_at, t.id)


def priority_streak(recent_priority: Sequence[bool]) -> int:
    """How many of a queue's latest calls (newest first) were priority calls, in a row."""
    streak = 0
    for was_priority in recent_priority:
        if not was_priority:
            break
        streak += 1
    return streak


def choose_next(
    waiting: Sequence[Waiting],
    window_no: str,
    queue_codes: Sequence[str],
    streaks: dict[str, int] | None = None,
    max_in_row: int = MAX_PRIORITY_IN_ROW,
) -> Waiting | None:
    """The ticket window ``window_no`` calls next (None: nobody waits for it).

    ``streaks``: per queue, the priority calls in a row at its head (:func:`priority_streak`).
    """
    directed = [t for t in waiting if t.for_window == window_no]
    if directed:
        return min(directed, key=_fifo)
    for code in queue_codes:
        here = [t for t in waiting if t.queue_code == code and not t.for_window]
        if not here:
            continue
        first = min(here, key=_fifo)
        priority = [t for t in here if t.priority]
        walk_ins = [t for t in here if not t.priority]
        if priority and (not walk_ins or (streaks or {}).get(code, 0) < max_in_row):
            return min(priority, key=_fifo)
        return min(walk_ins, key=_fifo) if walk_ins else first
    return None


#: an appointment may check in this early and still count as within its slot
EARLY_CHECK_IN = timedelta(minutes=15)


def in_slot(arrived: datetime, start: datetime, end: datetime) -> bool:
    """Whether an appointment checked in at ``arrived`` gets priority: from
    :data:`EARLY_CHECK_IN` before its slot starts until the slot ends. Later, it queues as a
    walk-in (it is still served, only not ahead of anyone)."""
    if end < start:
        raise ValueError(f"an appointment slot ends ({end}) before it starts ({start})")
    return start - EARLY_CHECK_IN <= arrived <= end


def ticket_no(prefix: str, seq: int) -> str:
    """The printed number of the ``seq``-th ticket (1-based) of a queue's day (wraps after 999)."""
    if seq < 1:
        raise ValueError(f"a ticket sequence starts at 1, got {seq}")
    return f"{prefix}{(seq - 1) % NUMBERS_PER_DAY + 1:03d}"


def hall_day(at: datetime) -> date:
    """The hall's local day of ``at`` (an aware datetime): the day tickets are numbered in."""
    if at.tzinfo is None:
        raise ValueError("a naive datetime has no hall day; give an aware one")
    return at.astimezone(HALL_TZ).date()
