"""At-least-once, in any order: the cloud ends where the device ended.

tests/unit/test_fleet_job_machine.py throws arbitrary acks (any state, any device, any attempt)
at the cloud's decisions and checks what each change may be. This machine asks the other
question: an HONEST device — one that says, per attempt, a path of its own lifecycle
(protocol §6: accepted → running → succeeded | failed | uncertain; rejected or failed before
it starts; canceled only when asked and before running) — has its acks delivered by the broker
at least once, duplicated and reordered at will, while the cloud re-dispatches retries, a TTL
runs out or a person cancels. Once every ack of the current attempt has arrived, the job must
be in the state the device's LAST word means (modelled here from the protocol's words, not
from ``fleet.jobs``); along the way it never goes backwards within an attempt, never leaves a
terminal state, never shows a state the device did not say, and never takes a transition
the diagram in docs/protocol.md §7 lacks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from fleet.acks import AckedJob, decide_ack
from fleet.cancel import CancelAction, decide_cancel
from fleet.errors import IllegalTransition
from fleet.jobs import RETRYABLE_REASONS, RetryPolicy, check_transition, plan_transition
from protocols.jobs import AckState, FailureReason, JobKind, JobState
from protocols.messages import AckBody

from .test_fleet_job_machine import documented_transitions

S, A = JobState, AckState
DOCUMENTED = documented_transitions()
ENDS = frozenset({S.SUCCEEDED, S.FAILED, S.CANCELED, S.EXPIRED})
#: how far along a job is, as the protocol's diagram reads left to right
RANK = {S.QUEUED: 0, S.DISPATCHED: 1, S.ACCEPTED: 2, S.RUNNING: 3, S.UNCERTAIN: 4}
RANK |= dict.fromkeys(ENDS, 5)
#: what an honest device may say next about one attempt, after what it said last (protocol §6)
NEXT: dict[AckState | None, tuple[AckState, ...]] = {
    None: (A.ACCEPTED, A.REJECTED, A.FAILED, A.CANCELED),
    A.ACCEPTED: (A.RUNNING, A.FAILED, A.CANCELED),
    A.RUNNING: (A.SUCCEEDED, A.FAILED, A.UNCERTAIN),
}
#: the job state each word of the device means (a failure may instead mean a retry)
MEANS = {
    A.ACCEPTED: S.ACCEPTED,
    A.RUNNING: S.RUNNING,
    A.SUCCEEDED: S.SUCCEEDED,
    A.UNCERTAIN: S.UNCERTAIN,
    A.CANCELED: S.CANCELED,
    A.FAILED: S.FAILED,
    A.REJECTED: S.FAILED,
}
REASONS = st.sampled_from(sorted(FailureReason))


@dataclass(frozen=True, slots=True)
class Said:
    """One ack as the device sent it, and whether a cancel was pending when it first arrived."""

    body: AckBody
    heard: bool = False
    cancel_pending_when_heard: bool = False


@dataclass(frozen=True, slots=True)
class Change:
    before: JobState
    after: JobState
    cause: str
    attempt: int
    word: AckBody | None = None


class HonestDeviceOverABroker(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.job = AckedJob("j1", S.QUEUED, 0, 3, None, JobKind.PRINT_RECEIPT)
        self.policy = RetryPolicy(max_attempts=3)
        self.said: dict[int, list[Said]] = {}
        self.changes: list[Change] = []
        #: the cloud ended the job on its own (TTL, a cancel of a job no device holds)
        self.ended_by_cloud = False

    @initialize(max_attempts=st.integers(1, 4), kind=st.sampled_from(JobKind))
    def create(self, max_attempts: int, kind: JobKind) -> None:
        self.job = replace(self.job, max_attempts=max_attempts, kind=kind)
        self.policy = RetryPolicy(max_attempts=max_attempts)

    @precondition(lambda self: self.job.state in ENDS)
    @rule(max_attempts=st.integers(1, 4))
    def next_job(self, max_attempts: int) -> None:
        """This job's history passed every invariant: go on with a fresh one."""
        n = int(self.job.id[1:]) + 1
        self.job = AckedJob(f"j{n}", S.QUEUED, 0, max_attempts, None, self.job.kind)
        self.policy = RetryPolicy(max_attempts=max_attempts)
        self.said, self.changes, self.ended_by_cloud = {}, [], False

    def apply(self, new: JobState, cause: str, word: AckBody | None = None) -> None:
        t = plan_transition(self.job.state, new, cause, "")
        self.changes.append(Change(t.from_state, t.to_state, cause, self.job.attempt, word))
        self.job = replace(self.job, state=new)

    # -- the cloud and people ------------------------------------------------------------

    @precondition(lambda self: self.job.state is S.QUEUED)
    @rule()
    def dispatch(self) -> None:
        self.apply(S.DISPATCHED, "dispatch")
        self.job = replace(self.job, attempt=self.job.attempt + 1, assigned_device_id="k1")
        self.said[self.job.attempt] = []

    @precondition(lambda self: self.job.state in (S.QUEUED, S.DISPATCHED))
    @rule(due=st.sampled_from([False] * 4 + [True]))
    def ttl_runs_out(self, due: bool) -> None:
        if due:
            self.apply(S.EXPIRED, "ttl")
            self.ended_by_cloud = True

    @precondition(lambda self: self.job.state not in ENDS)
    @rule(asked=st.sampled_from([False] * 3 + [True]))
    def a_person_cancels(self, asked: bool) -> None:
        decision = decide_cancel(self.job.id, self.job.state, self.job.assigned_device_id)
        if not asked or decision.action is CancelAction.REFUSE:
            return
        if decision.action is CancelAction.NOW:
            self.apply(S.CANCELED, "api_cancel")
            self.ended_by_cloud = True
        else:
            self.job = replace(self.job, cancel_requested=True)

    # -- the device and the broker -------------------------------------------------------

    def last_word(self, attempt: int) -> AckState | None:
        words = self.said.get(attempt) or []
        return words[-1].body.state if words else None

    @precondition(lambda self: self.job.attempt > 0)
    @rule(data=st.data())
    def device_says(self, data: st.DataObject) -> None:
        """The device's next word about the attempt it was sent (canceled only if asked)."""
        options = [
            word
            for word in NEXT.get(self.last_word(self.job.attempt), ())
            if word is not A.CANCELED or self.job.cancel_requested
        ]
        if not options:
            return
        word = data.draw(st.sampled_from(options))
        reason = data.draw(REASONS).value if word in (A.FAILED, A.REJECTED, A.UNCERTAIN) else ""
        body = AckBody(job_id=self.job.id, state=word, attempt=self.job.attempt, reason=reason)
        self.said[self.job.attempt].append(Said(body))

    @precondition(lambda self: any(self.said.values()))
    @rule(data=st.data())
    def broker_delivers(self, data: st.DataObject) -> None:
        """Any ack ever sent, of any attempt: late, again, or overtaking later ones."""
        attempt = data.draw(st.sampled_from(sorted(a for a, w in self.said.items() if w)))
        index = data.draw(st.integers(0, len(self.said[attempt]) - 1))
        said = self.said[attempt][index]
        if not said.heard:
            first = replace(said, heard=True, cancel_pending_when_heard=self.job.cancel_requested)
            self.said[attempt][index] = first
        decision = decide_ack(self.job, said.body, self.policy, sender="k1")
        if decision.new_state is not None:
            self.apply(decision.new_state, "ack", said.body)

    # -- invariants ----------------------------------------------------------------------

    def expected(self) -> JobState | None:
        """Where the job must be once every word of the current attempt arrived (None: not
        all arrived yet, or the cloud ended the job itself)."""
        words = self.said.get(self.job.attempt) or []
        if self.ended_by_cloud or not words or not all(w.heard for w in words):
            return None
        last = words[-1]
        means = MEANS[last.body.state]
        retry = (
            means is S.FAILED
            and last.body.reason in RETRYABLE_REASONS
            and self.job.attempt < self.job.max_attempts
            and not last.cancel_pending_when_heard
        )
        return S.QUEUED if retry else means

    @invariant()
    def once_all_arrived_the_job_is_where_the_device_ended(self) -> None:
        expected = self.expected()
        if expected is not None:
            assert self.job.state is expected, (self.job, self.said[self.job.attempt])

    @invariant()
    def never_backwards_within_an_attempt_and_never_out_of_an_end(self) -> None:
        for c in self.changes:
            assert c.before not in ENDS, c
            if c.after is S.QUEUED:  # a retry: only on the device's word of a failure
                assert c.word is not None and c.word.state in (A.FAILED, A.REJECTED), c
            else:
                assert RANK[c.after] > RANK[c.before] or c.cause == "dispatch", c
        attempts = [c.attempt for c in self.changes]
        assert attempts == sorted(attempts)

    @invariant()
    def the_job_shows_only_what_the_device_said_for_that_attempt(self) -> None:
        for c in self.changes:
            if c.word is not None:
                assert c.word.attempt == c.attempt
                assert c.after in (MEANS[c.word.state], S.QUEUED), c
            elif c.after in (S.ACCEPTED, S.RUNNING, S.SUCCEEDED, S.UNCERTAIN):
                raise AssertionError(f"{c.after} without the device saying so: {c}")

    @invariant()
    def every_transition_is_in_the_documented_diagram(self) -> None:
        for c in self.changes:
            assert c.after in DOCUMENTED[c.before], c


HonestDeviceOverABroker.TestCase.settings = settings(
    max_examples=150, stateful_step_count=50, deadline=None
)
TestHonestDeviceOverABroker = HonestDeviceOverABroker.TestCase


@given(st.sampled_from(JobState), st.sampled_from(JobState))
def test_check_transition_refuses_exactly_what_the_diagram_lacks(a: JobState, b: JobState) -> None:
    """The one door every change goes through, against docs/protocol.md (not a copy)."""
    if b in DOCUMENTED[a]:
        check_transition(a, b)
    else:
        try:
            check_transition(a, b)
        except IllegalTransition as err:
            assert f"from {a.value} to {b.value}" in str(err)
        else:
            raise AssertionError(f"{a} → {b} is not in the diagram but was allowed")


def test_retry_policy() -> None:
    p = RetryPolicy(max_attempts=3, backoff_s=2, backoff_cap_s=5)
    assert p.should_retry(FailureReason.PRINTER_UNREACHABLE, 1)
    assert not p.should_retry(FailureReason.PRINTER_UNREACHABLE, 3)
    assert not p.should_retry(FailureReason.PRINTER_SILENT, 1)  # may have printed
    assert not p.should_retry(FailureReason.BAD_PARAMS, 1)
    assert [p.delay_s(n) for n in (1, 2, 3, 4)] == [2, 4, 5, 5]
