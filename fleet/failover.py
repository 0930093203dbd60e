"""When a site job may move to another device of its site (never run on two devices).

A site job's ``job.run`` is *movable*: the device runs it only if the broker took its
``accepted`` ack before ``grace_s`` after the send. The cloud moves the job only after
``grace_s + margin_s`` without that ack, with the device offline and the cloud's own
connection up (and its inbox drained) for at least ``margin_s`` — so an ``accepted`` that did
reach the broker in time has reached the cloud too. A job whose cancel was requested is not
moved but canceled: the device provably did not run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from protocols.jobs import JobState


@dataclass(frozen=True, slots=True)
class StrandedJob:
    """The facts about a dispatched job that failover looks at."""

    state: JobState
    site_target: bool
    device_online: bool
    sent_at: datetime | None
    expires_at: datetime
    cancel_requested: bool = False


@dataclass(frozen=True, slots=True)
class FailoverPolicy:
    grace_s: float
    margin_s: float

    @property
    def enabled(self) -> bool:
        return self.grace_s > 0

    def connection_ready(self, up_for_s: float | None, backlog: int) -> bool:
        """Only with the cloud's connection up, and its backlog read, for the whole margin."""
        return self.enabled and up_for_s is not None and up_for_s >= self.margin_s and not backlog

    def cutoff(self, now: datetime) -> datetime:
        """Jobs sent at or before this may have missed their delivery deadline for sure."""
        return now - timedelta(seconds=self.grace_s + self.margin_s)

    def may_move(self, job: StrandedJob, now: datetime) -> bool:
        return (
            self.enabled
            and job.state is JobState.DISPATCHED
            and job.site_target
            and not job.device_online
            and job.sent_at is not None
            and job.sent_at <= self.cutoff(now)
            and job.expires_at > now
        )

    @staticmethod
    def outcome(job: StrandedJob) -> JobState:
        """Back to the site's queue, or canceled if a cancel is pending."""
        return JobState.CANCELED if job.cancel_requested else JobState.QUEUED
