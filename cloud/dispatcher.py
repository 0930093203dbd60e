"""Getting jobs to devices: dispatch now when possible, and a loop for everything time-based.

The loop expires jobs past their TTL, resends commands the agent has not accepted within the
ack timeout (same job id and attempt: the agent dedupes), dispatches retries that are due and
queued jobs whose device came online, and moves site jobs whose device went offline before
confirming them to another device of the site (failover). A device birth wakes the loop.

Failover never lets a job run on two devices: a site job's ``job.run`` is *movable* and its
envelope ``exp`` is the send time + ``failover_grace_s``; the device runs it only once the
broker took its ``accepted`` ack before that deadline. The cloud moves it only after
``failover_grace_s + failover_margin_s`` without that ack, with the device offline and the
cloud's own connection up (and its inbox drained) for at least the margin — so an ``accepted``
that did reach the broker in time has reached the cloud too. The move is a new attempt: a
late ack of the old one is ignored.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from cloud import blobs as blob_store
from cloud.bus import Bus
from cloud.clocks import DeviceClocks
from cloud.db import devices as device_repo
from cloud.db import jobs as job_repo
from cloud.db.models import Device, Job, Metric, ProcessedMessage, utcnow
from cloud.errors import BusUnavailable
from cloud.hub import ChangeHub
from cloud.settings import Settings
from fleet.routing import choose_device
from protocols.jobs import FETCH_KINDS, UPLOAD_KINDS, Fetch, JobKind, JobState, Uploads
from protocols.messages import JobCancel, Rebirth, make_job_run

log = logging.getLogger(__name__)

#: Rows handled per kind of work per tick, so one tick never holds the database for long.
BATCH = 200
#: Keep processed ack ids this long (longer than any broker would redeliver a message).
DEDUPE_WINDOW = timedelta(hours=24)
PRUNE_EVERY_S = 60.0


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A command to publish once the transaction that decided it has committed."""

    device_id: str
    job_id: str
    kind: str
    attempt: int
    params: dict[str, Any]
    expires_at: datetime
    #: sent to a site: may move to another device if this one does not confirm it in time
    movable: bool = False


def _outgoing(job: Job) -> Outgoing:
    assert job.assigned_device_id is not None
    return Outgoing(
        job.assigned_device_id,
        job.id,
        job.kind,
        job.attempts,
        job.params,
        job.expires_at,
        movable=job.target_site_id is not None,
    )


class Dispatcher:
    """Decides which queued job goes to which device, and publishes the commands."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        hub: ChangeHub,
        bus: Bus,
        clocks: DeviceClocks | None = None,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._hub = hub
        self._bus = bus
        #: device clock offsets: a delivery deadline is moved onto the device's own clock
        self._clocks = clocks
        self._wake = asyncio.Event()
        #: device id → when it came online; commands sent before then went to an older session
        self._online: dict[str, datetime] = {}
        self._last_prune = 0.0

    # -- deciding ----------------------------------------------------------------------------

    async def prepare(
        self, s: AsyncSession, job: Job, now: datetime, source: str
    ) -> Outgoing | None:
        """Move a queued job to ``dispatched`` if a device can take it now; caller commits."""
        if job.state != JobState.QUEUED or job.expires_at <= now:
            return None
        if job.next_attempt_at is not None and job.next_attempt_at > now:
            return None
        if job.target_device_id is not None:
            device = await s.get(Device, job.target_device_id)
            if device is None or not device.online:
                return None
            device_id = device.id
        else:
            assert job.target_site_id is not None
            chosen = choose_device(
                await device_repo.candidates(s, job.target_site_id, job.capability)
            )
            if chosen is None:
                return None
            device_id = chosen.device_id
        job.assigned_device_id = device_id
        job.attempts += 1
        job.sends += 1
        job.sent_at = now
        job.next_attempt_at = None
        job_repo.transition(
            s, job, JobState.DISPATCHED, source=source, device_id=device_id, now=now
        )
        return _outgoing(job)

    # -- sending -----------------------------------------------------------------------------

    async def send(self, out: Outgoing) -> bool:
        """Publish a ``job.run``; on failure the ack timeout brings it back, so only log."""
        kind = JobKind(out.kind)
        params = out.params
        if kind in UPLOAD_KINDS:  # a fresh grant on every send: a resend outlives the old one
            params = {**params, "uploads": self.uploads_for(out.job_id).model_dump()}
        if kind in FETCH_KINDS:  # a fresh read token per send, like the upload grant
            params = {**params, "fetch": self.fetch_for(str(params["document"])).model_dump()}
        movable = out.movable and self._settings.failover_grace_s > 0
        run_by = int(out.expires_at.timestamp() * 1000)  # UtcDateTime: always aware
        body = make_job_run(
            job_id=out.job_id,
            kind=kind,
            attempt=out.attempt,
            params=params,
            movable=movable,
            run_by=run_by if movable else None,
        )
        ttl_ms = max(0, int((out.expires_at - utcnow()).total_seconds() * 1000))
        if movable:  # the envelope's exp becomes the delivery deadline, on the device's clock
            ttl_ms = min(ttl_ms, int(self._settings.failover_grace_s * 1000))
            offset = self._clocks.offset_ms(out.device_id) if self._clocks else None
            if offset:  # offset = cloud - device (+ delay): a slow clock gets an earlier exp
                ttl_ms -= offset  # may go below 0: exp is on the device's clock, not ours
        try:
            await self._bus.send_command(out.device_id, body, ttl_ms=ttl_ms)
        except BusUnavailable as err:
            log.warning("job %s not sent yet: %s", out.job_id, err)
            return False
        return True

    def uploads_for(self, job_id: str) -> Uploads:
        """Where and with which grant job ``job_id`` uploads its blobs (protocol §11)."""
        secret = self._settings.secret_key.get_secret_value()
        grant = blob_store.make_grant(secret, job_id, self._settings.upload_grant_ttl_s)
        return Uploads(
            base=f"{self._settings.base_url}/api/v1/blobs",
            grant=grant,
            expires=blob_store.grant_expiry(grant),
        )

    def fetch_for(self, sha256: str) -> Fetch:
        """A read URL (with a short-lived get token) for the blob a job prints (§13)."""
        secret = self._settings.secret_key.get_secret_value()
        ttl = max(60, min(self._settings.upload_grant_ttl_s, blob_store.MAX_TOKEN_TTL_S))
        token = blob_store.make_token(secret, sha256, "get", ttl)
        return Fetch(
            url=f"{self._settings.base_url}/api/v1/blobs/{sha256}?token={token}",
            expires=blob_store.token_expiry(token),
        )

    async def send_cancel(self, device_id: str, job_id: str) -> None:
        try:
            await self._bus.send_command(device_id, JobCancel(job_id=job_id))
        except BusUnavailable as err:
            log.warning("cancel of job %s not sent to %s: %s", job_id, device_id, err)

    async def send_rebirth(self, device_id: str) -> None:
        """Ask a device to publish birth and state again (the cloud lost track of it)."""
        try:
            await self._bus.send_command(device_id, Rebirth())
        except BusUnavailable as err:
            log.warning("rebirth request not sent to %s: %s", device_id, err)

    # -- the loop ----------------------------------------------------------------------------

    def device_online(self, device_id: str) -> None:
        """A device (re)appeared: dispatch its queued jobs and resend its unaccepted ones now."""
        # the newest session counts: what was sent before it went to an older one (a second
        # reconnect while the first is still waiting to be handled must not be missed)
        self._online[device_id] = utcnow()
        self._wake.set()

    async def run(self) -> None:
        """Tick every ``dispatch_interval_s`` (or at once when woken) until cancelled."""
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        while True:
            timeout = max(0.0, next_tick - loop.time())
            try:
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                devices, self._online = self._online, {}
                for device_id, since in sorted(devices.items()):
                    await self.on_device_online(device_id, since)
                if loop.time() >= next_tick:
                    await self.tick()
                    next_tick = loop.time() + self._settings.dispatch_interval_s
            except Exception:  # a bug or a database hiccup must not stop dispatching
                log.exception("dispatcher tick failed; trying again next tick")
                next_tick = loop.time() + self._settings.dispatch_interval_s

    async def tick(self) -> None:
        now = utcnow()
        await self.expire(now)
        await self.fail_over(now)
        await self.dispatch_due(now)
        await self.resend_unaccepted(now)
        if asyncio.get_running_loop().time() - self._last_prune >= PRUNE_EVERY_S:
            await self.prune(now)
            self._last_prune = asyncio.get_running_loop().time()

    async def expire(self, now: datetime) -> int:
        async with self._sessions() as s:
            jobs = (
                await s.scalars(
                    select(Job)
                    .where(
                        Job.state.in_((JobState.QUEUED, JobState.DISPATCHED)),
                        Job.expires_at <= now,
                    )
                    .limit(BATCH)
                )
            ).all()
            for job in jobs:
                job_repo.transition(
                    s,
                    job,
                    JobState.EXPIRED,
                    source="dispatcher",
                    reason="expired",
                    message=f"no device accepted the job within its TTL of {job.ttl_s} s",
                    now=now,
                )
            if jobs:
                await self._commit(s)
        return len(jobs)

    def _may_fail_over(self) -> bool:
        """Only with our own connection up, and its backlog read, for the whole margin."""
        since = self._bus.connected_since
        if self._settings.failover_grace_s <= 0 or since is None:
            return False
        up_for = asyncio.get_running_loop().time() - since
        return up_for >= self._settings.failover_margin_s and self._bus.queue_depth() == 0

    async def fail_over(self, now: datetime) -> int:
        """Give site jobs back to their site when their device went offline unconfirmed."""
        if not self._may_fail_over():
            return 0
        settings = self._settings
        cutoff = now - timedelta(seconds=settings.failover_grace_s + settings.failover_margin_s)
        async with self._sessions() as s:
            jobs = (
                await s.scalars(
                    select(Job)
                    .join(Device, Device.id == Job.assigned_device_id)
                    .where(
                        Job.state == JobState.DISPATCHED,
                        Job.target_site_id.is_not(None),
                        Device.online.is_(False),
                        Job.sent_at <= cutoff,
                        Job.expires_at > now,
                    )
                    .limit(BATCH)
                )
            ).all()
            for job in jobs:
                old = job.assigned_device_id
                job_repo.transition(
                    s,
                    job,
                    JobState.QUEUED,
                    source="dispatcher",
                    reason="failover",
                    message=f"device {old} went offline without confirming the job; it cannot "
                    "run it any more, so another device of the site takes it",
                    now=now,
                )
                job.assigned_device_id = None
                job.next_attempt_at = None
            if not jobs or not await self._commit(s):
                return 0
            ids = [job.id for job in jobs]
        log.warning("failover: %d job(s) moved back to their site queue: %s", len(ids), ids)
        await self.dispatch_ids(ids, now)
        return len(ids)

    async def dispatch_due(self, now: datetime) -> int:
        """Queued jobs that may run now: retries that are due, devices that are online."""
        async with self._sessions() as s:
            ids = (
                await s.scalars(
                    select(Job.id)
                    .outerjoin(Device, Device.id == Job.target_device_id)
                    .where(
                        Job.state == JobState.QUEUED,
                        Job.expires_at > now,
                        or_(Job.next_attempt_at.is_(None), Job.next_attempt_at <= now),
                        or_(Job.target_site_id.is_not(None), Device.online.is_(True)),
                    )
                    .order_by(Job.created_at)
                    .limit(BATCH)
                )
            ).all()
        return await self.dispatch_ids(ids, now)

    async def dispatch_ids(self, ids: Any, now: datetime) -> int:
        sent = 0
        for job_id in ids:
            async with self._sessions() as s:
                job = await job_repo.load(s, job_id, for_update=True)
                out = await self.prepare(s, job, now, "dispatcher") if job else None
                if out is None:
                    continue
                if not await self._commit(s):
                    continue
            sent += await self.send(out)
        return sent

    async def resend_unaccepted(
        self, now: datetime, device_id: str | None = None, since: datetime | None = None
    ) -> int:
        """Resend ``dispatched`` jobs whose ack is overdue and ``accepted``/``running`` ones
        silent for ``reconcile_after_s``; or (with ``device_id``) every job
        of that device sent before it came online at ``since`` that is still ``dispatched``,
        ``accepted`` or ``running`` here.

        The latter reconciles after a reconnect: the device answers a job it knows with its
        latest ack (it never runs a job id twice), so an outcome whose ack was lost — or sent
        while we were away — is learnt now instead of waiting for the TTL."""
        cutoff = now - timedelta(seconds=self._settings.ack_timeout_s)
        stmt = (
            select(Job)
            .join(Device, Device.id == Job.assigned_device_id)
            .where(Device.online.is_(True))
            .limit(BATCH)
        )
        if device_id is None:
            quiet = now - timedelta(seconds=self._settings.reconcile_after_s)
            stmt = stmt.where(
                or_(
                    and_(
                        Job.state == JobState.DISPATCHED,
                        or_(Job.sent_at.is_(None), Job.sent_at <= cutoff),
                    ),
                    and_(  # under way, but silent for long: ask again (reconcile)
                        Job.state.in_((JobState.ACCEPTED, JobState.RUNNING)),
                        Job.updated_at <= quiet,
                        Job.sent_at <= quiet,
                    ),
                )
            )
        else:
            stmt = stmt.where(
                Job.state.in_((JobState.DISPATCHED, JobState.ACCEPTED, JobState.RUNNING)),
                Job.assigned_device_id == device_id,
                Job.sent_at < (since or now),
            )
        async with self._sessions() as s:
            jobs = (await s.scalars(stmt)).all()
            for job in jobs:
                job.sent_at = now
                job.sends += 1
            if not jobs or not await self._commit(s):
                return 0
            outs = [_outgoing(job) for job in jobs]
        for out in outs:
            log.info("resending job %s (attempt %d) to %s", out.job_id, out.attempt, out.device_id)
            await self.send(out)
        return len(outs)

    async def on_device_online(self, device_id: str, since: datetime) -> None:
        async with self._sessions() as s:
            device = await s.get(Device, device_id)
            if device is None or not device.online:
                return
            ids = (
                await s.scalars(
                    select(Job.id)
                    .where(
                        Job.state == JobState.QUEUED,
                        or_(
                            Job.target_device_id == device_id,
                            Job.target_site_id == device.site_id,
                        ),
                    )
                    .order_by(Job.created_at)
                    .limit(BATCH)
                )
            ).all()
        now = utcnow()
        resent = await self.resend_unaccepted(now, device_id, since)
        log.debug("device %s online since %s: %d job(s) resent", device_id, since, resent)
        await self.dispatch_ids(ids, now)

    async def prune(self, now: datetime) -> None:
        """Forget old dedupe ids and telemetry past its retention."""
        retention = timedelta(hours=self._settings.metrics_retention_h)
        async with self._sessions() as s:
            await s.execute(
                delete(ProcessedMessage).where(ProcessedMessage.received_at < now - DEDUPE_WINDOW)
            )
            await s.execute(delete(Metric).where(Metric.ts < now - retention))
            await s.commit()

    async def _commit(self, s: AsyncSession) -> bool:
        """Commit job changes; False if another writer changed a job first (retried later)."""
        try:
            await job_repo.commit(s, self._hub)
        except StaleDataError:
            await s.rollback()
            job_repo.discard_changes(s)
            return False
        return True
