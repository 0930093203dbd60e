"""The job state machine, the retry policy, and the one function every job transition uses.

queued → dispatched → accepted → running → succeeded | failed | canceled | expired,
plus ``uncertain`` (the agent cannot know whether the side effect happened): uncertain jobs
wait for an operator and are never re-run by the system itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleet.errors import IllegalTransition
from protocols.jobs import TERMINAL_STATES, AckState, FailureReason, JobState

_S = JobState

#: Legal transitions. Going back to ``queued`` is a retry (or an operator's "reprint").
TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    _S.QUEUED: frozenset({_S.DISPATCHED, _S.CANCELED, _S.EXPIRED, _S.FAILED}),
    _S.DISPATCHED: frozenset(
        {
            _S.QUEUED,
            _S.ACCEPTED,
            _S.RUNNING,
            _S.SUCCEEDED,
            _S.FAILED,
            _S.UNCERTAIN,
            _S.CANCELED,
            _S.EXPIRED,
        }
    ),
    _S.ACCEPTED: frozenset(
        {_S.QUEUED, _S.RUNNING, _S.SUCCEEDED, _S.FAILED, _S.UNCERTAIN, _S.CANCELED}
    ),
    _S.RUNNING: frozenset({_S.QUEUED, _S.SUCCEEDED, _S.FAILED, _S.UNCERTAIN}),
    _S.UNCERTAIN: frozenset({_S.QUEUED, _S.SUCCEEDED, _S.FAILED, _S.CANCELED}),
    _S.SUCCEEDED: frozenset(),
    _S.FAILED: frozenset(),
    _S.CANCELED: frozenset(),
    _S.EXPIRED: frozenset(),
}

#: How far along a job is; an ack that would move a job backwards is stale (reordered).
PROGRESS: dict[JobState, int] = {
    _S.QUEUED: 0,
    _S.DISPATCHED: 1,
    _S.ACCEPTED: 2,
    _S.RUNNING: 3,
    _S.UNCERTAIN: 4,
    _S.SUCCEEDED: 5,
    _S.FAILED: 5,
    _S.CANCELED: 5,
    _S.EXPIRED: 5,
}

#: Acks map onto job states; ``rejected`` means the agent never accepted the job.
ACK_TO_STATE: dict[AckState, JobState] = {
    AckState.ACCEPTED: _S.ACCEPTED,
    AckState.RUNNING: _S.RUNNING,
    AckState.SUCCEEDED: _S.SUCCEEDED,
    AckState.FAILED: _S.FAILED,
    AckState.CANCELED: _S.CANCELED,
    AckState.UNCERTAIN: _S.UNCERTAIN,
    AckState.REJECTED: _S.FAILED,
}

#: Stored lengths of a transition's reason and message (longer ones are cut).
REASON_MAX = 64
MESSAGE_MAX = 1024


def is_terminal(state: JobState) -> bool:
    return state in TERMINAL_STATES


def can_transition(current: JobState, new: JobState) -> bool:
    return new in TRANSITIONS[current]


def check_transition(current: JobState, new: JobState) -> None:
    """Raise :class:`IllegalTransition` unless ``current → new`` is legal."""
    if not can_transition(current, new):
        raise IllegalTransition(f"a job cannot go from {current.value} to {new.value}")


@dataclass(frozen=True, slots=True)
class Transition:
    """One checked job state change, with the reason and message to store (already cut)."""

    from_state: JobState
    to_state: JobState
    reason: str
    message: str


def plan_transition(current: JobState, new: JobState, reason: str, message: str) -> Transition:
    """The one door every job state change goes through: checked, with bounded texts.

    Raises :class:`IllegalTransition` unless the state machine allows ``current → new``.
    """
    check_transition(current, new)
    return Transition(current, new, reason[:REASON_MAX], message[:MESSAGE_MAX])


def is_stale_ack(current: JobState, reported: JobState) -> bool:
    """True if an agent's report is older news than what we know (duplicate or reordered).

    A queued job has no attempt out: the acked attempt is over (it failed and waits to be
    retried, or an operator asked for a reprint), so a repeat of its last ack changes nothing.
    """
    if current is reported:
        return True
    if current is _S.QUEUED:
        return True
    if current is _S.UNCERTAIN:  # only an operator moves a job out of uncertain
        return True
    return PROGRESS[reported] < PROGRESS[current] or is_terminal(current)


#: Failures that happened before any side effect, so trying again cannot duplicate one.
RETRYABLE_REASONS = frozenset(
    {
        FailureReason.PRINTER_UNREACHABLE,
        FailureReason.OFFLINE,
        FailureReason.CONNECTION_LOST,
        FailureReason.PAPER_OUT,
        FailureReason.COVER_OPEN,
        FailureReason.UPLOAD_FAILED,  # a still or scan that did not arrive: nobody saw a thing
        FailureReason.DOWNLOAD_FAILED,  # the document never reached the printer
        FailureReason.PRINTER_BUSY,  # the printer did not take the job
        FailureReason.AGENT_STORAGE,  # the device's disk was full: the job never started
    }
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how soon a failed job is tried again."""

    max_attempts: int = 3
    backoff_s: float = 2.0
    backoff_cap_s: float = 60.0

    def should_retry(self, reason: str, attempts_done: int) -> bool:
        """Retry only failures known to precede any side effect, while attempts remain."""
        return reason in RETRYABLE_REASONS and attempts_done < self.max_attempts

    def delay_s(self, attempts_done: int) -> float:
        """Exponential delay before the next attempt (attempts_done ≥ 1)."""
        return float(min(self.backoff_cap_s, self.backoff_s * 2 ** max(0, attempts_done - 1)))
