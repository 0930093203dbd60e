"""Job acks from devices, applied to the database: the state machine, retries, results.

Acks already waiting are applied in one transaction (group commit) with Core statements and
an optimistic ``version`` check, falling back to one transaction per ack if the group fails,
so one bad message cannot take the others down. A message id already in
``processed_messages`` is a replay and is dropped (see :mod:`cloud.ingest`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from cloud.blobs import SHA256_PATTERN, BlobStore
from cloud.db.models import Job, JobEvent, ProcessedMessage, utcnow
from cloud.hub import ChangeHub
from cloud.settings import Settings
from cloud.stats import BusStats
from fleet.jobs import (
    ACK_TO_STATE,
    RETRYABLE_REASONS,
    RetryPolicy,
    can_transition,
    check_transition,
    is_stale_ack,
)
from protocols.envelope import Envelope, MsgType
from protocols.jobs import UPLOAD_KINDS, FailureReason, JobState
from protocols.messages import AckBody

log = logging.getLogger(__name__)

SHA256_RE = re.compile(SHA256_PATTERN)
#: How often a handler retries after losing an optimistic-lock race on a row.
RACE_RETRIES = 3


class AckApplier:
    """Applies job acks (never a peripheral call's answer: see :mod:`cloud.calls`)."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        hub: ChangeHub,
        stats: BusStats,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._hub = hub
        self._stats = stats

    async def run(
        self, items: Sequence[tuple[str, Envelope[Any]]], run: list[int]
    ) -> list[Failure]:
        """Group commit: all acks of ``run`` in one transaction; if that fails, one by one."""
        acks = [(items[i][0], items[i][1].id, items[i][1].body) for i in run]
        if len(acks) > 1:
            try:
                await self.apply(acks)
            except Exception as err:
                log.debug("group of %d acks failed (%r); applying them one by one", len(acks), err)
            else:
                return []
        failures: list[Failure] = []
        for i, ack in zip(run, acks, strict=True):
            try:
                await self.one(*ack)
            except Exception as err:
                failures.append((i, err))
        return failures

    async def one(self, device_id: str, msg_id: str, body: AckBody) -> None:
        for attempt in range(RACE_RETRIES):
            try:
                await self.apply([(device_id, msg_id, body)])
                return
            except IntegrityError:  # the same message id handled concurrently elsewhere
                self._stats.ignore("duplicate_message", msg_id)
                self._stats.handle(MsgType.ACK.value)
                return
            except StaleDataError:
                if attempt == RACE_RETRIES - 1:
                    raise
                log.debug("job changed under ack %s; retrying", msg_id)

    async def apply(self, acks: Sequence[tuple[str, str, AckBody]]) -> None:
        """Apply acks in one transaction with Core statements, then count and notify.

        Nothing outside the database changes until the commit succeeded, so a caller may run
        the same acks again after an exception. A job changed by another writer since it was
        read raises :class:`StaleDataError` (the optimistic ``version`` column).
        """
        outcome = _Outcome()
        now = utcnow()
        async with self._sessions() as s:
            conn = await s.connection()
            # A message id handled before fails the insert into processed_messages (primary
            # key) at the end; the group is then rolled back and retried one ack at a time.
            seen: set[str] = set()
            stmt = select(*_JOB_COLS).where(_JOBS.c.id.in_({body.job_id for _, _, body in acks}))
            if conn.dialect.name != "sqlite":
                stmt = stmt.order_by(_JOBS.c.id).with_for_update()
            jobs = {row.id: _JobRow(row) for row in await conn.execute(stmt)}
            for device_id, msg_id, body in acks:
                if msg_id in seen:  # twice in this group
                    outcome.ignore("duplicate_message", msg_id)
                    continue
                job = jobs.get(body.job_id)
                if job is None:
                    outcome.reject("unknown_job", f"ack from {device_id} for {body.job_id}")
                    continue
                if job.assigned_device_id != device_id:
                    outcome.reject(
                        "ack_wrong_device",
                        f"{device_id} acked job {job.id}, which is assigned to "
                        f"{job.assigned_device_id}",
                    )
                    continue
                seen.add(msg_id)
                self._apply_ack(job, device_id, msg_id, body, now, outcome)
            if outcome.processed:
                await conn.execute(_PROCESSED.insert(), outcome.processed)
            if outcome.events:
                await conn.execute(_EVENTS.insert(), outcome.events)
            for job in jobs.values():
                if not job.changes:
                    continue
                result = await conn.execute(
                    _JOBS.update()
                    .where(_JOBS.c.id == job.id, _JOBS.c.version == job.version)
                    .values(**job.changes, version=job.version + 1)
                )
                if result.rowcount != 1:
                    raise StaleDataError(f"job {job.id} changed since it was read")
            await s.commit()
        for reason, detail in outcome.ignored:
            self._stats.ignore(reason, detail)
        for reason, detail in outcome.rejected:
            self._stats.reject(reason, detail)
        for _ in acks:
            self._stats.handle(MsgType.ACK.value)
        for job_id, state in outcome.notices:
            self._hub.publish(f"job:{job_id}", state)
            self._hub.publish("jobs", job_id)

    def _apply_ack(
        self,
        job: _JobRow,
        device_id: str,
        msg_id: str,
        body: AckBody,
        now: datetime,
        out: _Outcome,
    ) -> None:
        out.processed.append({"id": msg_id, "device_id": device_id, "received_at": now})
        current = JobState(job.state)
        reported = ACK_TO_STATE[body.state]
        if body.attempt < job.attempts:
            return out.ignore("old_attempt", f"{job.id} attempt {body.attempt}")
        if is_stale_ack(current, reported):
            return out.ignore("stale_ack", f"{job.id}: {current} then {reported}")
        reason = body.reason or ("rejected" if body.state.value == "rejected" else "")
        message = body.message
        if reported is JobState.SUCCEEDED and job.kind in UPLOAD_KINDS:
            missing = self._missing_blobs(body.result)
            if missing:
                reported, reason = JobState.FAILED, FailureReason.UPLOAD_MISSING.value
                message = f"the device reported success, but {missing}"
        if reported is JobState.FAILED:
            policy = RetryPolicy(
                max_attempts=job.max_attempts,
                backoff_s=self._settings.retry_backoff_s,
                backoff_cap_s=self._settings.retry_backoff_cap_s,
            )
            if policy.should_retry(body.reason, job.attempts) and can_transition(
                current, JobState.QUEUED
            ):
                delay = policy.delay_s(job.attempts)
                job.set(next_attempt_at=now + timedelta(seconds=delay))
                job.set(result=dict(body.result) or None)
                return job.transition(
                    out,
                    JobState.QUEUED,
                    reason=reason,
                    message=f"attempt {job.attempts} of {job.max_attempts} failed ({reason}): "
                    f"{message} — trying again in {delay:.0f} s",
                    device_id=device_id,
                    now=now,
                )
            if body.reason in RETRYABLE_REASONS:
                message = f"{message} (gave up after {job.attempts} attempts)".strip()
        if not can_transition(current, reported):
            return out.ignore("illegal_transition", f"{job.id}: {current} → {reported}")
        if reported in (JobState.SUCCEEDED, JobState.FAILED, JobState.UNCERTAIN):
            job.set(result=dict(body.result) or None)
        job.transition(out, reported, reason=reason, message=message, device_id=device_id, now=now)

    def _missing_blobs(self, result: Mapping[str, Any]) -> str:
        """Why the blobs a snapshot/scan result names are not all stored ("" if they are)."""
        blobs = result.get("blobs")
        if not isinstance(blobs, list) or not blobs:
            return "its result names no blobs"
        store = BlobStore(self._settings.data_dir / "blobs", self._settings.blob_max_bytes)
        for blob in blobs:
            digest = blob.get("sha256") if isinstance(blob, dict) else None
            if not isinstance(digest, str) or not SHA256_RE.fullmatch(digest):
                return f"its result names a blob without a valid sha256: {str(blob)[:100]}"
            if not store.exists(digest):
                return f"blob {digest} was never uploaded"
        return ""


Failure = tuple[int, Exception]

_JOBS = cast(Table, Job.__table__)
_EVENTS = cast(Table, JobEvent.__table__)
_PROCESSED = cast(Table, ProcessedMessage.__table__)
_JOB_COLS = tuple(
    _JOBS.c[name]
    for name in ("id", "state", "attempts", "max_attempts", "assigned_device_id", "version", "kind")
)


class _Outcome:
    """What a group of acks does, kept aside until its transaction commits."""

    def __init__(self) -> None:
        self.processed: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.notices: list[tuple[str, str]] = []
        self.ignored: list[tuple[str, str]] = []
        self.rejected: list[tuple[str, str]] = []

    def ignore(self, reason: str, detail: str) -> None:
        self.ignored.append((reason, detail))

    def reject(self, reason: str, detail: str) -> None:
        self.rejected.append((reason, detail))


class _JobRow:
    """The fields of a job an ack looks at, and the changes the acks make to it."""

    def __init__(self, row: Any) -> None:
        self.id: str = row.id
        self.state: str = row.state
        self.attempts: int = row.attempts
        self.max_attempts: int = row.max_attempts
        self.assigned_device_id: str | None = row.assigned_device_id
        self.version: int = row.version
        self.kind: str = row.kind
        self.changes: dict[str, Any] = {}

    def set(self, **values: Any) -> None:
        self.changes.update(values)

    def transition(
        self,
        out: _Outcome,
        new: JobState,
        *,
        reason: str,
        message: str,
        device_id: str,
        now: datetime,
    ) -> None:
        """Like :func:`cloud.db.jobs.transition`, on this row: an event, then the new state."""
        current = JobState(self.state)
        check_transition(current, new)
        out.events.append(
            {
                "job_id": self.id,
                "at": now,
                "from_state": current.value,
                "to_state": new.value,
                "attempt": self.attempts,
                "device_id": device_id or self.assigned_device_id,
                "source": "bus",
                "reason": reason[:64],
                "message": message[:1024],
            }
        )
        self.state = new.value
        self.set(state=new.value, updated_at=now, reason=reason[:64], message=message[:1024])
        out.notices.append((self.id, new.value))
