"""Failover: site jobs whose device went offline unconfirmed go back to their site's queue
(or end canceled if a cancel is pending); the rules are :class:`fleet.failover.FailoverPolicy`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.bus import Bus
from cloud.db import job_queries
from cloud.db import jobs as job_repo
from cloud.hub import ChangeHub
from fleet.failover import FailoverPolicy, StrandedJob
from protocols.jobs import JobState

log = logging.getLogger(__name__)


class Failover:
    """Finds stranded site jobs and releases them; returns the ids to dispatch again."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hub: ChangeHub,
        bus: Bus,
        policy: FailoverPolicy,
        batch: int,
    ) -> None:
        self._sessions = sessions
        self._hub = hub
        self._bus = bus
        self._policy = policy
        self._batch = batch

    def _ready(self, loop_time: float) -> bool:
        since = self._bus.connected_since
        up_for = None if since is None else loop_time - since
        return self._policy.connection_ready(up_for, self._bus.queue_depth())

    async def release(self, now: datetime, loop_time: float) -> list[str]:
        """Move every stranded site job; the ids of those back in the queue."""
        if not self._ready(loop_time):
            return []
        async with self._sessions() as s:
            rows = await job_queries.stranded(s, self._policy.cutoff(now), now, self._batch)
            requeued: list[str] = []
            for job, online in rows:
                facts = StrandedJob(
                    state=JobState(job.state),
                    site_target=job.target_site_id is not None,
                    device_online=online,
                    sent_at=job.sent_at,
                    expires_at=job.expires_at,
                    cancel_requested=job.cancel_requested_at is not None,
                )
                if not self._policy.may_move(facts, now):
                    continue
                new = self._policy.outcome(facts)
                job_repo.transition(
                    s,
                    job,
                    new,
                    source="dispatcher",
                    reason=_REASON[new],
                    message=_message(job.assigned_device_id, new),
                    now=now,
                )
                if new is JobState.QUEUED:
                    job.assigned_device_id = None
                    job.next_attempt_at = None
                    requeued.append(job.id)
            if not rows or not await job_repo.try_commit(s, self._hub):
                return []
        if requeued:
            log.warning(
                "failover: %d job(s) moved back to their site queue: %s", len(requeued), requeued
            )
        return requeued


_REASON = {JobState.QUEUED: "failover", JobState.CANCELED: "canceled"}


def _message(device_id: str | None, new: JobState) -> str:
    if new is JobState.CANCELED:
        return (
            f"device {device_id} went offline without confirming the job; it cannot run it "
            "any more, so the requested cancel is done"
        )
    return (
        f"device {device_id} went offline without confirming the job; it cannot "
        "run it any more, so another device of the site takes it"
    )
