"""The job state machine and retry policy.

queued → dispatched → accepted → running → succeeded | failed | canceled | expired,
plus ``uncertain`` (the agent cannot know whether the side effect happened): uncertain jobs
wait for an operator and are never re-run by the system itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleet.errors import IllegalTransition
from protocols.jobs import TERMINAL_STATES, AckState, FailureReason, JobState

Q, D, A, R = JobState.QUEUED, JobState.DISPATCHED, JobState.ACCEPTED, JobState.RUNNING
OK, FAIL, CANC, EXP, UNC = (
    JobState.SUCCEEDED,
    JobState.FAILED,
    JobState.CANCELED,
    JobState.EXPIRED,
    JobState.UNCERTAIN,
)

#: Legal transitions. Going back to ``queued`` is a retry (or an operator's "reprint").
TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    Q: frozenset({D, CANC, EXP, FAIL}),
    D: frozenset({Q, A, R, OK, FAIL, UNC, CANC, EXP}),
    A: frozenset({Q, R, OK, FAIL, UNC, CANC}),
    R: frozenset({Q, OK, FAIL, UNC}),
    UNC: frozenset({Q, OK, FAIL, CANC}),
    OK: frozenset(),
    FAIL: frozenset(),
    CANC: frozenset(),
    EXP: frozenset(),
}

#: How far along a job is; an ack that would move a job backwards is stale (reordered).
_RANK = {Q: 0, D: 1, A: 2, R: 3, UNC: 4, OK: 5, FAIL: 5, CANC: 5, EXP: 5}

#: Acks map onto job states; ``rejected`` means the agent never accepted the job.
ACK_TO_STATE: dict[AckState, JobState] = {
    AckState.ACCEPTED: A,
    AckState.RUNNING: R,
    AckState.SUCCEEDED: OK,
    AckState.FAILED: FAIL,
    AckState.CANCELED: CANC,
    AckState.UNCERTAIN: UNC,
    AckState.REJECTED: FAIL,
}


def is_terminal(state: JobState) -> bool:
    return state in TERMINAL_STATES


def can_transition(current: JobState, new: JobState) -> bool:
    return new in TRANSITIONS[current]


def check_transition(current: JobState, new: JobState) -> None:
    """Raise :class:`IllegalTransition` unless ``current → new`` is legal."""
    if not can_transition(current, new):
        raise IllegalTransition(f"a job cannot go from {current.value} to {new.value}")


def is_stale_ack(current: JobState, reported: JobState) -> bool:
    """True if an agent's report is older news than what we know (duplicate or reordered)."""
    if current is reported:
        return True
    if current is UNC:  # only an operator moves a job out of uncertain
        return True
    return _RANK[reported] < _RANK[current] or is_terminal(current)


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
