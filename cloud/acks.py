"""Job acks from devices, persisted: :func:`fleet.acks.decide_ack` decides, this module stores.

Acks already waiting are applied in one transaction (group commit) with Core statements and
an optimistic ``version`` check, falling back to one transaction per ack if the group fails,
so one bad message cannot take the others down. A message id already in
``processed_messages`` is a replay and is dropped (see :mod:`cloud.ingest`).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from cloud.blobs import SHA256_PATTERN, BlobStore
from cloud.db import ack_rows
from cloud.db import jobs as job_repo
from cloud.db.models import utcnow
from cloud.db.session import engine_of
from cloud.db.sqlite_driver import DeferredWrites, deferred_writes
from cloud.hub import ChangeHub
from cloud.stats import BusStats
from fleet.acks import AckIgnored, Decision, decide_ack, needs_blob_check
from fleet.jobs import RetryPolicy, plan_transition
from protocols.envelope import Envelope, MsgType
from protocols.messages import AckBody

log = logging.getLogger(__name__)

SHA256_RE = re.compile(SHA256_PATTERN)
#: How often a handler retries after losing an optimistic-lock race on a row.
RACE_RETRIES = 3

Failure = tuple[int, Exception]
#: (device id, envelope id, ack)
Ack = tuple[str, str, AckBody]


class AckApplier:
    """Applies job acks (never a peripheral call's answer: see :mod:`cloud.calls`)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hub: ChangeHub,
        stats: BusStats,
        policy: RetryPolicy,
        blobs: BlobStore,
    ) -> None:
        self._sessions = sessions
        #: the group commit runs on a bare connection: Core statements need no ORM session
        self._engine = engine_of(sessions)
        self._hub = hub
        self._stats = stats
        self._policy = policy
        self._policies: dict[int, RetryPolicy] = {}  # by a job's max_attempts
        self._blobs = blobs

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
                self._stats.ignore(AckIgnored.DUPLICATE_MESSAGE, msg_id)
                self._stats.handle(MsgType.ACK.value)
                return
            except StaleDataError:
                if attempt == RACE_RETRIES - 1:
                    raise
                log.debug("job changed under ack %s; retrying", msg_id)

    async def apply(self, acks: Sequence[Ack]) -> None:
        """Apply acks in one transaction, then count and notify.

        Nothing outside the database changes until the commit succeeded, so a caller may run
        the same acks again after an exception.
        """
        out = _Outcome(utcnow())
        # on SQLite the writes go to the database's thread with the commit, in one hand-off
        async with (
            self._engine.connect() as conn,
            deferred_writes(conn) as batch,
            conn.begin(),  # commits at the end (inside deferred_writes), rolls back on error
        ):
            await self._decide_and_save(conn, batch, acks, out)
        self._announce(out, len(acks))

    async def _decide_and_save(
        self,
        conn: AsyncConnection,
        batch: DeferredWrites | None,
        acks: Sequence[Ack],
        out: _Outcome,
    ) -> None:
        rows = await ack_rows.load(conn, (body.job_id for _, _, body in acks))
        seen: set[str] = set()
        for device_id, msg_id, body in acks:
            if msg_id in seen:  # twice in this group
                out.ignored.append((AckIgnored.DUPLICATE_MESSAGE, msg_id))
                continue
            row = rows.get(body.job_id)
            decision = self._decide(row, device_id, body)
            if decision.record_message:
                seen.add(msg_id)
                out.processed.append({"id": msg_id, "device_id": device_id, "received_at": out.now})
            if row is not None:
                out.persist(row, decision, device_id)
            out.count(decision)
        await ack_rows.save(conn, rows.values(), out.processed, out.events, batch)

    def _decide(self, row: ack_rows.AckedRow | None, device_id: str, body: AckBody) -> Decision:
        job = row.job if row is not None else None
        if job is None:
            return decide_ack(None, body, self._policy, sender=device_id)
        policy = self._policies.get(job.max_attempts)
        if policy is None:
            policy = dataclasses.replace(self._policy, max_attempts=job.max_attempts)
            self._policies[job.max_attempts] = policy
        missing = ""
        if job.assigned_device_id == device_id and needs_blob_check(job.kind, body):
            missing = self._missing_blobs(body.result)
        return decide_ack(job, body, policy, missing, sender=device_id)

    def _announce(self, out: _Outcome, handled: int) -> None:
        for reason, detail in out.ignored:
            self._stats.ignore(reason, detail)
        for reason, detail in out.rejected:
            self._stats.reject(reason, detail)
        for _ in range(handled):
            self._stats.handle(MsgType.ACK.value)
        for job_id, state in out.notices:
            job_repo.announce(self._hub, job_id, state)

    def _missing_blobs(self, result: Mapping[str, Any]) -> str:
        """Why the blobs a snapshot/scan result names are not all stored ("" if they are)."""
        blobs = result.get("blobs")
        if not isinstance(blobs, list) or not blobs:
            return "its result names no blobs"
        for blob in blobs:
            digest = blob.get("sha256") if isinstance(blob, dict) else None
            if not isinstance(digest, str) or not SHA256_RE.fullmatch(digest):
                return f"its result names a blob without a valid sha256: {str(blob)[:100]}"
            if not self._blobs.exists(digest):
                return f"blob {digest} was never uploaded"
        return ""


class _Outcome:
    """What a group of acks does, kept aside until its transaction commits."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.processed: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.notices: list[tuple[str, str]] = []
        self.ignored: list[tuple[str, str]] = []
        self.rejected: list[tuple[str, str]] = []

    def count(self, decision: Decision) -> None:
        if decision.rejected is not None:
            self.rejected.append((decision.rejected, decision.detail))
        elif decision.ignored is not None:
            self.ignored.append((decision.ignored, decision.detail))

    def persist(self, row: ack_rows.AckedRow, decision: Decision, device_id: str) -> None:
        """Stage the job changes a decision makes (the row's view moves on with them)."""
        if decision.new_state is None:
            return
        job = row.job
        t = plan_transition(job.state, decision.new_state, decision.reason, decision.message)
        self.events.append(
            job_repo.event_values(
                job.id, t, attempt=job.attempt, device_id=device_id, source="bus", now=self.now
            )
        )
        row.changes.update(job_repo.job_values(t, self.now))
        if decision.retry_in_s is not None:
            row.changes["next_attempt_at"] = self.now + timedelta(seconds=decision.retry_in_s)
        if decision.store_result:
            row.changes["result"] = decision.result
        row.job = dataclasses.replace(job, state=t.to_state)
        self.notices.append((job.id, t.to_state.value))
