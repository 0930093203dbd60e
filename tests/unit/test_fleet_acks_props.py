"""Properties of ``decide_ack`` and ``decide_cancel`` over every job/ack pair, reachable or not.

The stateful machine (``test_fleet_job_machine.py``) walks the job through the states the
cloud can reach; these tests judge any job fact against any ack, so a decision that only holds
on the usual paths shows up too.
"""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.acks import AckedJob, AckIgnored, AckRejection, decide_ack, needs_blob_check
from fleet.cancel import CancelAction, decide_cancel
from fleet.jobs import RETRYABLE_REASONS, RetryPolicy, can_transition, is_terminal
from protocols.jobs import AckState, FailureReason, JobKind, JobState
from protocols.messages import AckBody

FAST = settings(max_examples=300, deadline=None, derandomize=False)
DEVICES = st.sampled_from(["k1", "k2"])

#: half of them retryable, so the retry rules are judged often
REASONS = st.sampled_from(sorted(RETRYABLE_REASONS)).map(str) | st.sampled_from(
    ["", *(str(r) for r in FailureReason if r not in RETRYABLE_REASONS)]
)
#: held by a device twice as often as anything else
STATES = st.sampled_from([*JobState, JobState.DISPATCHED, JobState.ACCEPTED, JobState.RUNNING])
jobs = st.builds(
    AckedJob,
    id=st.just("j1"),
    state=STATES,
    attempt=st.integers(0, 4),
    max_attempts=st.integers(1, 4),
    assigned_device_id=st.none() | DEVICES,
    kind=st.sampled_from(JobKind),
    cancel_requested=st.booleans(),
)


@st.composite
def acked(draw: st.DrawFn) -> tuple[AckedJob, AckBody, str]:
    """A job, an ack and its sender: mostly the assigned device and the current attempt, so
    the interesting branches are not left to chance."""
    job = draw(jobs)
    sender = draw(st.sampled_from([job.assigned_device_id or "k1"] * 3 + ["k1", "k2"]))
    attempt = job.attempt + draw(st.sampled_from([0, 0, 0, -1, 1]))
    ack = AckBody(
        job_id="j1",
        state=draw(st.sampled_from(AckState)),
        attempt=max(1, attempt),
        reason=draw(REASONS),
        result=draw(st.dictionaries(st.sampled_from("ab"), st.integers(), max_size=2)),
    )
    return job, ack, sender


@FAST
@given(case=acked(), missing=st.sampled_from(["", "blob b is missing"]))
def test_decide_ack_refuses_what_it_must_and_only_moves_legally(
    case: tuple[AckedJob, AckBody, str], missing: str
) -> None:
    job, ack, sender = case
    missing = missing if needs_blob_check(job.kind, ack) else ""  # as the cloud asks
    policy = RetryPolicy(max_attempts=job.max_attempts)
    before = (copy.deepcopy(job), ack.model_dump())
    d = decide_ack(job, ack, policy, missing, sender=sender)
    assert d == decide_ack(job, ack, policy, missing, sender=sender)  # pure
    assert (job, ack.model_dump()) == before  # nothing it was given changed
    if sender != job.assigned_device_id:
        assert d.rejected is AckRejection.ACK_WRONG_DEVICE
    elif ack.attempt > job.attempt:
        assert d.rejected is AckRejection.FUTURE_ATTEMPT
    elif ack.attempt < job.attempt:
        assert d.ignored is AckIgnored.OLD_ATTEMPT
    if job.state is JobState.UNCERTAIN or is_terminal(job.state) or job.state is JobState.QUEUED:
        assert d.new_state is None, d  # an operator's job, a finished one, or no device's
    if d.new_state is None:
        assert d.retry_in_s is None
        assert (d.rejected is None) != (d.ignored is None)
        return
    assert d.rejected is None and d.ignored is None
    assert can_transition(job.state, d.new_state)
    assert ack.attempt == job.attempt and sender == job.assigned_device_id
    if d.new_state is JobState.QUEUED:  # a retry
        assert ack.reason in RETRYABLE_REASONS and not job.cancel_requested
        assert job.attempt < job.max_attempts
        assert d.retry_in_s == policy.delay_s(job.attempt)
    if d.new_state is JobState.CANCELED:
        assert ack.state is AckState.CANCELED  # only on the device's word


def test_decide_ack_for_no_job_is_refused_and_not_recorded() -> None:
    ack = AckBody(job_id="j9", state=AckState.SUCCEEDED)
    d = decide_ack(None, ack, RetryPolicy(), sender="k1")
    assert d.rejected is AckRejection.UNKNOWN_JOB and not d.record_message


@FAST
@given(state=st.sampled_from(JobState), device=st.none() | DEVICES)
def test_decide_cancel_asks_the_device_whenever_one_may_hold_the_job(
    state: JobState, device: str | None
) -> None:
    d = decide_cancel("j1", state, device)
    assert d == decide_cancel("j1", state, device)
    if state is JobState.RUNNING or is_terminal(state):
        assert d.action is CancelAction.REFUSE and "j1" in d.why
    elif state in (JobState.DISPATCHED, JobState.ACCEPTED) and device is not None:
        assert d.action is CancelAction.ASK_DEVICE
    else:
        assert d.action is CancelAction.NOW
        assert can_transition(state, JobState.CANCELED)
