"""fleet.acks.decide_ack: every branch of what an ack does to a job."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.acks import AckedJob, AckIgnored, AckRejection, Decision, decide_ack, needs_blob_check
from fleet.jobs import ACK_TO_STATE, RetryPolicy, can_transition, is_stale_ack
from protocols.jobs import AckState, FailureReason, JobKind, JobState
from protocols.messages import AckBody

POLICY = RetryPolicy(max_attempts=3, backoff_s=2, backoff_cap_s=60)
JOB = AckedJob(
    id="j1",
    state=JobState.DISPATCHED,
    attempt=1,
    max_attempts=3,
    assigned_device_id="k1",
    kind=JobKind.PRINT_RECEIPT,
)


def ack(state: AckState, attempt: int = 1, reason: str = "", **kw: object) -> AckBody:
    return AckBody.model_validate(
        {"job_id": "j1", "state": state, "attempt": attempt, "reason": reason, **kw}
    )


def decide(job: AckedJob | None, body: AckBody, missing: str = "", sender: str = "k1") -> Decision:
    return decide_ack(job, body, POLICY, missing, sender=sender)


def test_unknown_job_is_rejected_and_not_recorded() -> None:
    d = decide(None, ack(AckState.ACCEPTED))
    assert d.rejected is AckRejection.UNKNOWN_JOB and d.new_state is None
    assert not d.record_message


def test_ack_from_another_device_is_rejected() -> None:
    d = decide(JOB, ack(AckState.SUCCEEDED), sender="k2")
    assert d.rejected is AckRejection.ACK_WRONG_DEVICE and d.new_state is None
    assert "assigned to k1" in d.detail


def test_an_attempt_never_sent_is_rejected() -> None:
    """The bug: a job at attempt 1 succeeded on an ack for attempt 2."""
    d = decide(JOB, ack(AckState.SUCCEEDED, attempt=2))
    assert d.rejected is AckRejection.FUTURE_ATTEMPT and d.new_state is None
    assert not d.record_message
    assert "attempt 2" in d.detail and "attempt 1" in d.detail


def test_an_older_attempt_is_ignored() -> None:
    d = decide(replace(JOB, attempt=2), ack(AckState.SUCCEEDED, attempt=1))
    assert d.ignored is AckIgnored.OLD_ATTEMPT and d.new_state is None and d.record_message


@pytest.mark.parametrize(("current", "state"), list(itertools.product(JobState, AckState)))
def test_every_state_and_ack_pair(current: JobState, state: AckState) -> None:
    """Without retries and blobs: stale news is ignored, legal moves applied, others ignored."""
    job = replace(JOB, state=current)
    d = decide(
        job, ack(state, reason=FailureReason.PRINTER_SILENT if state is AckState.FAILED else "")
    )
    reported = ACK_TO_STATE[state]
    if is_stale_ack(current, reported):
        assert d.ignored is AckIgnored.STALE_ACK and d.new_state is None
    elif can_transition(current, reported):
        assert d.new_state is reported and d.ignored is None and d.rejected is None
    else:
        assert d.ignored is AckIgnored.ILLEGAL_TRANSITION and d.new_state is None


def test_success_keeps_the_result_progress_does_not() -> None:
    d = decide(JOB, ack(AckState.SUCCEEDED, result={"lines": 3}))
    assert d.new_state is JobState.SUCCEEDED and d.store_result and d.result == {"lines": 3}
    d = decide(JOB, ack(AckState.ACCEPTED))
    assert d.new_state is JobState.ACCEPTED and not d.store_result
    d = decide(JOB, ack(AckState.UNCERTAIN, reason="printer_silent"))
    assert d.new_state is JobState.UNCERTAIN and d.store_result and d.result is None


def test_rejected_ack_fails_the_job_with_reason_rejected() -> None:
    d = decide(JOB, ack(AckState.REJECTED))
    assert d.new_state is JobState.FAILED and d.reason == "rejected"
    d = decide(JOB, ack(AckState.REJECTED, reason="bad_params", message="no lines"))
    assert (d.reason, d.message) == ("bad_params", "no lines")


def test_a_retryable_failure_goes_back_to_the_queue_with_a_delay() -> None:
    job = replace(JOB, state=JobState.ACCEPTED, attempt=2)
    d = decide(job, ack(AckState.FAILED, attempt=2, reason="paper_out", message="no paper"))
    assert d.new_state is JobState.QUEUED and d.retry_in_s == 4.0
    assert d.reason == "paper_out" and "attempt 2 of 3 failed (paper_out): no paper" in d.message
    assert d.store_result


def test_the_last_attempt_fails_for_good() -> None:
    job = replace(JOB, state=JobState.RUNNING, attempt=3)
    d = decide(job, ack(AckState.FAILED, attempt=3, reason="paper_out", message="no paper"))
    assert d.new_state is JobState.FAILED and d.retry_in_s is None
    assert d.message == "no paper (gave up after 3 attempts)"


def test_a_failure_after_the_side_effect_may_have_started_is_final() -> None:
    d = decide(JOB, ack(AckState.FAILED, reason="printer_silent"))
    assert d.new_state is JobState.FAILED and d.retry_in_s is None


def test_no_retry_once_a_cancel_was_requested() -> None:
    job = replace(JOB, state=JobState.ACCEPTED, cancel_requested=True)
    d = decide(job, ack(AckState.FAILED, reason="paper_out", message="no paper"))
    assert d.new_state is JobState.FAILED and d.retry_in_s is None
    assert "a cancel was requested" in d.message


@pytest.mark.parametrize(
    ("state", "outcome"),
    [
        (AckState.CANCELED, JobState.CANCELED),  # the device had not started
        (AckState.RUNNING, JobState.RUNNING),  # too late: it is printing
        (AckState.SUCCEEDED, JobState.SUCCEEDED),
        (AckState.UNCERTAIN, JobState.UNCERTAIN),
    ],
)
def test_a_pending_cancel_takes_the_devices_answer(state: AckState, outcome: JobState) -> None:
    job = replace(JOB, state=JobState.ACCEPTED, cancel_requested=True)
    assert decide(job, ack(state)).new_state is outcome


def test_a_success_whose_blobs_are_missing_fails() -> None:
    job = replace(JOB, kind=JobKind.SNAPSHOT)
    d = decide(
        job, ack(AckState.SUCCEEDED, result={"blobs": []}), missing="blob x was never uploaded"
    )
    assert d.new_state is JobState.FAILED and d.reason == FailureReason.UPLOAD_MISSING.value
    assert d.message == "the device reported success, but blob x was never uploaded"


def test_blob_check_only_for_uploading_successes() -> None:
    assert needs_blob_check(JobKind.SNAPSHOT, ack(AckState.SUCCEEDED))
    assert needs_blob_check(JobKind.SCAN, ack(AckState.SUCCEEDED))
    assert not needs_blob_check(JobKind.SCAN, ack(AckState.RUNNING))
    assert not needs_blob_check(JobKind.PRINT_RECEIPT, ack(AckState.SUCCEEDED))


@settings(max_examples=400, deadline=None)
@given(
    state=st.sampled_from(JobState),
    attempt=st.integers(1, 4),
    acked=st.integers(1, 5),
    ack_state=st.sampled_from(AckState),
    reason=st.sampled_from(["", *FailureReason]),
    cancel=st.booleans(),
    sender=st.sampled_from(["k1", "k2"]),
    missing=st.sampled_from(["", "blob x was never uploaded"]),
)
def test_a_decision_is_always_legal(
    state: JobState,
    attempt: int,
    acked: int,
    ack_state: AckState,
    reason: str,
    cancel: bool,
    sender: str,
    missing: str,
) -> None:
    """Whatever arrives: only legal transitions, never an attempt that was not sent, never
    another device's word, never a retry once a cancel was asked."""
    job = replace(JOB, state=state, attempt=attempt, cancel_requested=cancel)
    d = decide(job, ack(ack_state, attempt=acked, reason=reason), missing, sender=sender)
    assert (d.rejected is None) or (d.new_state is None and not d.record_message)
    if d.new_state is not None:
        assert can_transition(state, d.new_state)
        assert sender == "k1" and acked == attempt
        assert d.ignored is None and d.rejected is None
    if acked > attempt or sender != "k1":
        assert d.rejected is not None
    if cancel:
        assert d.retry_in_s is None and d.new_state is not JobState.QUEUED
    if d.retry_in_s is not None:
        assert d.new_state is JobState.QUEUED and attempt < POLICY.max_attempts
