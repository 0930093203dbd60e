"""Stateful test of one job driven through fleet's decisions, as the cloud persists them.

The machine keeps one job as the cloud stores it (state, attempt, assigned device, cancel
requested) and drives it with everything the world can throw at it: dispatches, acks of every
state from the assigned device and from others, for the current, an older and a higher attempt,
duplicated and reordered acks (re-sent from the ``sent`` bundle at any later point), cancels,
an operator's resolution of ``uncertain``, TTL expiry and failover. Every change goes through
``fleet.jobs.plan_transition`` and is recorded with its cause, so the invariants can say not
only *that* a job moved but *why*.

Causes: ``dispatch``, ``ack`` (a device's ack, with the ack), ``api_cancel`` (a person's
cancel, at once), ``operator`` (resolve of ``uncertain``), ``ttl`` and ``failover`` (the cloud
on its own).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from fleet.acks import AckedJob, AckIgnored, AckRejection, Decision, decide_ack, needs_blob_check
from fleet.cancel import CancelAction, decide_cancel
from fleet.failover import FailoverPolicy, StrandedJob
from fleet.jobs import RETRYABLE_REASONS, TRANSITIONS, RetryPolicy, is_terminal, plan_transition
from protocols.jobs import TERMINAL_STATES, AckState, FailureReason, JobKind, JobState
from protocols.messages import AckBody

S = JobState
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
DEVICES = ("k1", "k2", "k3")
#: States in which the device may hold the job, as ``fleet.cancel`` sees them.
HELD = frozenset({S.DISPATCHED, S.ACCEPTED})
#: States that say the device may have begun the side effect (the cloud heard so).
STARTED = frozenset({S.RUNNING, S.SUCCEEDED, S.UNCERTAIN})
NON_RETRYABLE = sorted(set(FailureReason) - RETRYABLE_REASONS)
FAILURE_REASONS = st.sampled_from(sorted(RETRYABLE_REASONS)) | st.sampled_from(NON_RETRYABLE)
FAILOVER = FailoverPolicy(grace_s=60, margin_s=30)
#: What the assigned device says, weighted towards progress so jobs live long enough.
DEVICE_SAYS = st.sampled_from(
    [AckState.ACCEPTED, AckState.RUNNING, AckState.FAILED] * 2
    + [AckState.SUCCEEDED, AckState.CANCELED, AckState.UNCERTAIN, AckState.REJECTED]
)


def live(machine: JobMachine) -> bool:
    return not is_terminal(machine.job.state)


@dataclass(frozen=True, slots=True)
class Sent:
    """An ack as it left a device (kept to be delivered again, late or twice)."""

    sender: str
    body: AckBody
    missing_blobs: str = ""


@dataclass(frozen=True, slots=True)
class Change:
    """One applied job state change, with what caused it."""

    from_state: JobState
    to_state: JobState
    cause: str
    attempt: int
    cancel_requested: bool
    ack: AckBody | None = None
    #: the cloud had heard ``running`` (or later) for this attempt before the change
    started: bool = False


def ack_bodies(state: AckState) -> st.SearchStrategy[tuple[str, dict[str, str]]]:
    """A reason and a result for an ack of ``state`` (failures carry both kinds of reason)."""
    reasons: st.SearchStrategy[str] = st.just("")
    if state in (AckState.FAILED, AckState.REJECTED, AckState.UNCERTAIN):
        reasons = FAILURE_REASONS.map(str)
    results = st.dictionaries(st.sampled_from("abc"), st.text(max_size=3), max_size=2)
    return st.tuples(reasons, results)


class JobMachine(RuleBasedStateMachine):
    sent = Bundle("sent")

    def __init__(self) -> None:
        super().__init__()
        self.job = AckedJob(
            id="j1",
            state=S.QUEUED,
            attempt=0,
            max_attempts=3,
            assigned_device_id=None,
            kind=JobKind.PRINT_RECEIPT,
        )
        self.policy = RetryPolicy(max_attempts=3)
        self.site_target = True
        self.changes: list[Change] = []
        #: the cloud applied running/succeeded/uncertain for the current attempt
        self.started = False
        #: the latest ack each device sent (what it re-sends on a repeated command)
        self.latest: dict[str, Sent] = {}

    @initialize(
        max_attempts=st.integers(1, 4),
        kind=st.sampled_from(JobKind),
        site_target=st.booleans(),
    )
    def create(self, max_attempts: int, kind: JobKind, site_target: bool) -> None:
        self.job = replace(self.job, max_attempts=max_attempts, kind=kind)
        self.policy = RetryPolicy(max_attempts=max_attempts, backoff_s=2.0, backoff_cap_s=60.0)
        self.site_target = site_target

    @precondition(lambda self: is_terminal(self.job.state))
    @rule(
        max_attempts=st.integers(1, 4),
        kind=st.sampled_from(JobKind),
        site_target=st.booleans(),
    )
    def next_job(self, max_attempts: int, kind: JobKind, site_target: bool) -> None:
        """The job is over (its history passed every invariant): go on with a fresh one."""
        n = int(self.job.id[1:]) + 1
        self.job = AckedJob(f"j{n}", S.QUEUED, 0, max_attempts, None, kind)
        self.policy = RetryPolicy(max_attempts=max_attempts, backoff_s=2.0, backoff_cap_s=60.0)
        self.site_target = site_target
        self.changes, self.latest, self.started = [], {}, False

    # -- applying a change, the one way the cloud does it ------------------------------------

    def apply(self, new: JobState, cause: str, ack: AckBody | None = None) -> None:
        job = self.job
        t = plan_transition(job.state, new, cause, "")  # raises IllegalTransition if illegal
        assert (t.from_state, t.to_state) == (job.state, new)
        self.changes.append(
            Change(job.state, new, cause, job.attempt, job.cancel_requested, ack, self.started)
        )
        self.job = replace(job, state=new)
        if new in STARTED:
            self.started = True

    # -- the cloud -------------------------------------------------------------------------

    @precondition(lambda self: self.job.state is S.QUEUED)
    @rule(device=st.sampled_from(DEVICES))
    def dispatch(self, device: str) -> None:
        self.apply(S.DISPATCHED, "dispatch")
        self.job = replace(self.job, attempt=self.job.attempt + 1, assigned_device_id=device)
        self.started = False

    @precondition(lambda self: self.job.state in (S.QUEUED, S.DISPATCHED))
    @rule(due=st.sampled_from([False] * 5 + [True]))
    def ttl_expires(self, due: bool) -> None:
        """The dispatcher's query expires queued and dispatched jobs past their TTL (now and
        then: mostly the TTL has not run out yet)."""
        if due:
            self.apply(S.EXPIRED, "ttl")

    @precondition(live)
    @rule(
        device_online=st.sampled_from([False, False, True]),
        sent_s_ago=st.sampled_from([0.0, 89.0, 90.0, 500.0, 500.0]),
        expires_in_s=st.sampled_from([0.0, 1.0, 1000.0]),
    )
    def failover(self, device_online: bool, sent_s_ago: float, expires_in_s: float) -> None:
        job = self.job
        stranded = StrandedJob(
            state=job.state,
            site_target=self.site_target,
            device_online=device_online,
            sent_at=NOW - timedelta(seconds=sent_s_ago) if job.attempt else None,
            expires_at=NOW + timedelta(seconds=expires_in_s),
            cancel_requested=job.cancel_requested,
        )
        if not FAILOVER.may_move(stranded, NOW):
            return
        assert job.state is S.DISPATCHED and self.site_target and not device_online
        assert sent_s_ago >= FAILOVER.grace_s + FAILOVER.margin_s and expires_in_s > 0
        outcome = FailoverPolicy.outcome(stranded)
        self.apply(outcome, "failover")
        if outcome is S.QUEUED:  # the cloud forgets the device: its late acks are refused
            self.job = replace(self.job, assigned_device_id=None)

    # -- people ------------------------------------------------------------------------------

    @precondition(live)
    @rule(asked=st.sampled_from([False] * 5 + [True]))
    def cancel(self, asked: bool) -> None:
        """``POST /jobs/{id}/cancel`` of a job in any state (now and then: mostly nobody asks,
        so that jobs live long enough to be held by a device)."""
        if asked:
            self.request_cancel()

    @precondition(lambda self: self.job.state in HELD)
    @rule()
    def cancel_held(self) -> None:
        """``POST /jobs/{id}/cancel`` while a device may hold the job: the interesting case."""
        self.request_cancel()

    def request_cancel(self) -> None:
        job = self.job
        decision = decide_cancel(job.id, job.state, job.assigned_device_id)
        assert decision == decide_cancel(job.id, job.state, job.assigned_device_id)
        if decision.action is CancelAction.NOW:
            assert job.state in (S.QUEUED, S.UNCERTAIN) or job.assigned_device_id is None
            self.apply(S.CANCELED, "api_cancel")
        elif decision.action is CancelAction.ASK_DEVICE:
            assert job.state in HELD and job.assigned_device_id is not None
            self.job = replace(job, cancel_requested=True)
        else:
            assert job.state is S.RUNNING or is_terminal(job.state)
            assert decision.why

    @precondition(lambda self: self.job.state is S.UNCERTAIN)
    @rule(outcome=st.sampled_from([S.QUEUED, S.SUCCEEDED, S.FAILED]))
    def operator_resolves(self, outcome: JobState) -> None:
        self.apply(outcome, "operator")

    # -- devices -----------------------------------------------------------------------------

    @precondition(live)
    @rule(
        target=sent,
        state=DEVICE_SAYS,
        body=st.data(),
        blobs_missing=st.booleans(),
    )
    def device_acks(self, state: AckState, body: st.DataObject, blobs_missing: bool) -> Sent:
        """The assigned device reports on the current attempt (any state, in any order)."""
        return self.send((self.job.assigned_device_id or "k1"), state, 0, body, blobs_missing)

    @rule(
        target=sent,
        sender=st.sampled_from(DEVICES),
        state=st.sampled_from(AckState),
        attempt_offset=st.sampled_from([-2, -1, 0, 1, 2]),
        body=st.data(),
    )
    def stray_ack(
        self, sender: str, state: AckState, attempt_offset: int, body: st.DataObject
    ) -> Sent:
        """Any device, any attempt: the wrong device, an old attempt, one never sent."""
        return self.send(sender, state, attempt_offset, body, False)

    def send(
        self, sender: str, state: AckState, offset: int, body: st.DataObject, blobs_missing: bool
    ) -> Sent:
        reason, result = body.draw(ack_bodies(state))
        ack = AckBody(
            job_id=self.job.id,
            state=state,
            attempt=max(1, self.job.attempt + offset),
            reason=reason,
            result=result,
        )
        missing = ""
        if blobs_missing and needs_blob_check(self.job.kind, ack):
            missing = "blob x is not stored"
        sent = Sent(sender, ack, missing)
        self.deliver(sent)
        self.latest[sender] = sent
        return sent

    @rule(sent=sent)
    def ack_delivered_again(self, sent: Sent) -> None:
        """A duplicate, or an ack overtaken by later ones (reordered)."""
        if sent.body.job_id == self.job.id:  # an earlier job's acks are judged against it
            self.deliver(sent)

    @precondition(lambda self: self.job.assigned_device_id in self.latest)
    @rule()
    def device_resends_its_latest_ack(self) -> None:
        """A repeated ``job.run`` (resend, reconnect, reconciliation) makes the device send its
        latest ack for the job again, in a new envelope (protocol §6)."""
        self.deliver(self.latest[self.job.assigned_device_id or ""])

    def deliver(self, sent: Sent) -> None:
        job, ack = self.job, sent.body
        before = (copy.deepcopy(job), ack.model_dump(), sent.missing_blobs)
        decision = decide_ack(job, ack, self.policy, sent.missing_blobs, sender=sent.sender)
        # pure: the same input gives the same output, and nothing it was given changed
        assert decision == decide_ack(job, ack, self.policy, sent.missing_blobs, sender=sent.sender)
        assert (job, ack.model_dump(), sent.missing_blobs) == before
        if decision.result is not None:
            assert decision.result is not ack.result
        self.check_refusals(job, sent, decision)
        if decision.new_state is None:
            assert decision.retry_in_s is None
            return
        if sent.missing_blobs:  # a success whose blobs did not arrive is no success
            assert (decision.new_state, decision.reason) == (S.FAILED, "upload_missing")
        if decision.retry_in_s is not None:
            assert decision.new_state is S.QUEUED
            assert decision.retry_in_s == self.policy.delay_s(job.attempt) > 0
        self.apply(decision.new_state, "ack", ack)

    def check_refusals(self, job: AckedJob, sent: Sent, decision: Decision) -> None:
        """Who and which attempt may change the job; what is refused is never applied."""
        ack = sent.body
        if sent.sender != job.assigned_device_id:
            assert decision.rejected is AckRejection.ACK_WRONG_DEVICE
        elif ack.attempt > job.attempt:
            assert decision.rejected is AckRejection.FUTURE_ATTEMPT
        elif ack.attempt < job.attempt:
            assert decision.ignored is AckIgnored.OLD_ATTEMPT
        elif job.state is S.UNCERTAIN or is_terminal(job.state):
            assert decision.ignored is AckIgnored.STALE_ACK
        if job.state is S.QUEUED:  # no device holds it: the attempt acked is over
            assert decision.new_state is None, (job, ack, decision)
        if decision.rejected is not None:
            assert not decision.record_message
        if decision.rejected is not None or decision.ignored is not None:
            assert decision.new_state is None and decision.detail
        else:
            assert decision.new_state is not None

    # -- invariants --------------------------------------------------------------------------

    @invariant()
    def every_change_is_a_legal_transition(self) -> None:
        for c in self.changes:
            assert c.to_state in TRANSITIONS[c.from_state], c

    @invariant()
    def terminal_states_never_change(self) -> None:
        assert not any(c.from_state in TERMINAL_STATES for c in self.changes)

    @invariant()
    def only_a_person_takes_a_job_out_of_uncertain(self) -> None:
        for c in self.changes:
            if c.from_state is S.UNCERTAIN:
                assert c.cause in ("operator", "api_cancel"), c

    @invariant()
    def an_applied_ack_is_from_the_assigned_device_for_the_current_attempt(self) -> None:
        attempts = [c.attempt for c in self.changes]
        assert attempts == sorted(attempts)
        for c in self.changes:
            if c.ack is not None:
                assert c.ack.attempt == c.attempt  # never a future_attempt, never an old_attempt

    @invariant()
    def a_retry_only_for_a_reason_before_any_side_effect_within_max_attempts(self) -> None:
        for c in self.changes:
            if c.cause == "ack" and c.to_state is S.QUEUED:
                assert c.ack is not None and c.ack.state in (AckState.FAILED, AckState.REJECTED)
                assert c.ack.reason in RETRYABLE_REASONS, c
                assert c.attempt < self.job.max_attempts, c
                assert not c.cancel_requested, c

    @invariant()
    def a_retryable_failure_gives_up_only_when_attempts_are_spent_or_a_cancel_waits(
        self,
    ) -> None:
        for c in self.changes:
            if (
                c.cause == "ack"
                and c.to_state is S.FAILED
                and c.ack is not None
                and c.ack.reason in RETRYABLE_REASONS
                and c.ack.state is not AckState.SUCCEEDED
            ):
                assert c.attempt >= self.job.max_attempts or c.cancel_requested, c

    @invariant()
    def a_started_job_is_never_requeued_by_the_system_on_its_own(self) -> None:
        """Once the cloud heard ``running``, only the device's word that nothing happened (a
        retryable failure: protocol §7, running → queued (retry)) or an operator re-queues it;
        never TTL, failover or a cancel."""
        for c in self.changes:
            if c.started and c.to_state is S.QUEUED:
                assert c.cause in ("ack", "operator"), c
                if c.cause == "ack":
                    assert c.ack is not None and c.ack.reason in RETRYABLE_REASONS
            if c.from_state is S.RUNNING:
                assert c.cause == "ack", c

    @invariant()
    def a_held_job_ends_canceled_only_on_the_devices_word(self) -> None:
        """Canceled from dispatched/accepted only by the device's ``canceled`` ack, or by
        failover with a cancel pending (the device provably never ran it)."""
        for c in self.changes:
            if c.to_state is S.CANCELED and c.from_state in HELD:
                if c.cause == "ack":
                    assert c.ack is not None and c.ack.state is AckState.CANCELED, c
                else:
                    assert c.cause == "failover" and c.cancel_requested, c
            if c.to_state is S.CANCELED and c.cause == "api_cancel":
                assert c.from_state in (S.QUEUED, S.UNCERTAIN), c

    @invariant()
    def a_requested_cancel_is_never_followed_by_a_retry(self) -> None:
        for c in self.changes:
            if c.cancel_requested and c.cause in ("ack", "failover"):
                assert c.to_state is not S.QUEUED, c


JobMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None, derandomize=False
)
TestJobMachine = JobMachine.TestCase


# -- the table the machine holds every change to ------------------------------------------

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def documented_transitions() -> dict[JobState, frozenset[JobState]]:
    """The "Legal transitions" table of docs/protocol.md §7, read as data."""
    text = PROTOCOL.read_text(encoding="utf-8")
    table = text.split("Legal transitions:", 1)[1].split("\n\n", 2)[1]
    documented: dict[JobState, frozenset[JobState]] = {}
    for row in table.splitlines()[2:]:
        sources, targets = (cell.strip() for cell in row.strip("|").split("|"))
        to = frozenset(S(t) for t in re.findall(r"(?:^|, )([a-z]+)", targets) if t in set(S))
        for source in sources.split(", "):
            documented[S(source)] = to
    return documented


def test_the_transitions_are_the_documented_ones() -> None:
    assert documented_transitions() == TRANSITIONS


# -- the minimal failing examples, as plain tests ------------------------------------------


POLICY = RetryPolicy(max_attempts=3)
DISPATCHED = AckedJob("j1", S.DISPATCHED, 1, 3, "k1", JobKind.PRINT_RECEIPT)


def test_a_repeated_retryable_failure_does_not_fail_the_job_it_requeued() -> None:
    """A device re-sends its latest ack on a repeated ``job.run`` (protocol §6), in a new
    envelope, so the same ``failed``/``paper_out`` of attempt 1 may arrive twice. The first
    re-queues the job for attempt 2; the second must change nothing (attempt 1 is over)."""
    paper_out = AckBody(job_id="j1", state=AckState.FAILED, attempt=1, reason="paper_out")
    first = decide_ack(DISPATCHED, paper_out, POLICY, sender="k1")
    assert first.new_state is S.QUEUED
    requeued = replace(DISPATCHED, state=S.QUEUED)
    again = decide_ack(requeued, paper_out, POLICY, sender="k1")
    assert again.new_state is None, again
