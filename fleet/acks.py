"""What a device's job ack does to the job: one pure decision, persisted by the cloud.

Both of the cloud's ack paths (a group of acks in one transaction, and one ack at a time when
the group fails) call :func:`decide_ack` and only store what it says, so the rules live here
once: who may ack, which attempt counts, stale news, retries, blob checks, pending cancels.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fleet.jobs import (
    ACK_TO_STATE,
    RETRYABLE_REASONS,
    RetryPolicy,
    can_transition,
    is_stale_ack,
)
from protocols.jobs import CAPTURE_KINDS, AckState, FailureReason, JobKind, JobState
from protocols.messages import AckBody


class AckRejection(StrEnum):
    """Why an ack is refused (counted as ``rejected``: the device said something wrong)."""

    UNKNOWN_JOB = "unknown_job"
    ACK_WRONG_DEVICE = "ack_wrong_device"
    #: an attempt the cloud never sent (higher than the job's current one)
    FUTURE_ATTEMPT = "future_attempt"


class AckIgnored(StrEnum):
    """Why a valid ack changes nothing (counted as ``ignored``: old or repeated news)."""

    DUPLICATE_MESSAGE = "duplicate_message"
    OLD_ATTEMPT = "old_attempt"
    STALE_ACK = "stale_ack"
    ILLEGAL_TRANSITION = "illegal_transition"


@dataclass(frozen=True, slots=True)
class AckedJob:
    """The facts about a job an ack is judged against."""

    id: str
    state: JobState
    attempt: int  # the current attempt (dispatches so far)
    max_attempts: int
    assigned_device_id: str | None
    kind: JobKind
    cancel_requested: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    """What to store for one ack. ``new_state`` None: the job stays as it is."""

    new_state: JobState | None = None
    reason: str = ""
    message: str = ""
    #: seconds until the next attempt (the job goes back to ``queued``)
    retry_in_s: float | None = None
    #: replace the job's result with ``result`` (None clears it)
    store_result: bool = False
    result: dict[str, Any] | None = None
    rejected: AckRejection | None = None
    ignored: AckIgnored | None = None
    #: why it was rejected or ignored, for the log
    detail: str = ""
    #: record the envelope id as processed (refused acks are not: they may be about a job
    #: this cloud does not know yet)
    record_message: bool = True


def needs_blob_check(kind: JobKind, ack: AckBody) -> bool:
    """Whether the caller must look up the blobs a success names (snapshot and scan)."""
    return ack.state is AckState.SUCCEEDED and kind in CAPTURE_KINDS


def decide_ack(
    job: AckedJob | None,
    ack: AckBody,
    policy: RetryPolicy,
    missing_blobs: str = "",
    *,
    sender: str,
) -> Decision:
    """Judge ``ack`` from device ``sender`` against ``job`` (None: no such job).

    ``missing_blobs`` says why the blobs a success names are not all stored ("" if they
    are, or if :func:`needs_blob_check` is false). ``policy`` is the job's retry policy.
    """
    if job is None:
        return _refuse(AckRejection.UNKNOWN_JOB, f"ack from {sender} for {ack.job_id}")
    if job.assigned_device_id != sender:
        return _refuse(
            AckRejection.ACK_WRONG_DEVICE,
            f"{sender} acked job {job.id}, which is assigned to {job.assigned_device_id}",
        )
    if ack.attempt > job.attempt:
        return _refuse(
            AckRejection.FUTURE_ATTEMPT,
            f"{sender} acked attempt {ack.attempt} of job {job.id}, which is at attempt "
            f"{job.attempt}",
        )
    if ack.attempt < job.attempt:
        return _ignore(AckIgnored.OLD_ATTEMPT, f"{job.id} attempt {ack.attempt}")
    reported = ACK_TO_STATE[ack.state]
    if is_stale_ack(job.state, reported):
        return _ignore(AckIgnored.STALE_ACK, f"{job.id}: {job.state} then {reported}")
    reason = ack.reason or ("rejected" if ack.state is AckState.REJECTED else "")
    message = ack.message
    if reported is JobState.SUCCEEDED and missing_blobs:
        reported, reason = JobState.FAILED, FailureReason.UPLOAD_MISSING.value
        message = f"the device reported success, but {missing_blobs}"
    if reported is JobState.FAILED:
        retry = _retry(job, ack, policy, reason, message)
        if retry is not None:
            return retry
        if ack.reason in RETRYABLE_REASONS:
            why = "a cancel was requested" if job.cancel_requested else None
            why = why or f"gave up after {job.attempt} attempts"
            message = f"{message} ({why})".strip()
    if not can_transition(job.state, reported):
        return _ignore(AckIgnored.ILLEGAL_TRANSITION, f"{job.id}: {job.state} → {reported}")
    keeps_result = reported in (JobState.SUCCEEDED, JobState.FAILED, JobState.UNCERTAIN)
    return Decision(
        new_state=reported,
        reason=reason,
        message=message,
        store_result=keeps_result,
        result=(dict(ack.result) or None) if keeps_result else None,
    )


def _retry(
    job: AckedJob, ack: AckBody, policy: RetryPolicy, reason: str, message: str
) -> Decision | None:
    """A retryable failure goes back to ``queued`` (never once a cancel was requested)."""
    if job.cancel_requested or not policy.should_retry(ack.reason, job.attempt):
        return None
    if not can_transition(job.state, JobState.QUEUED):
        return None
    delay = policy.delay_s(job.attempt)
    return Decision(
        new_state=JobState.QUEUED,
        reason=reason,
        message=f"attempt {job.attempt} of {job.max_attempts} failed ({reason}): "
        f"{message} — trying again in {delay:.0f} s",
        retry_in_s=delay,
        store_result=True,
        result=dict(ack.result) or None,
    )


def _refuse(reason: AckRejection, detail: str) -> Decision:
    return Decision(rejected=reason, detail=detail, record_message=False)


def _ignore(reason: AckIgnored, detail: str) -> Decision:
    return Decision(ignored=reason, detail=detail)
