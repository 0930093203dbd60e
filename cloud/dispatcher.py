"""Scheduling: which queued job goes to which device, and when commands are (re)sent.

Dispatch happens at once when possible (:meth:`Dispatcher.prepare`, called in the
transaction that made a job ready), plus a loop that expires jobs past their TTL, resends
commands the agent has not accepted within the ack timeout (same job id and attempt: the
agent dedupes), asks quiet jobs again, dispatches retries that are due and queued jobs whose
device came online, and runs failover and retention. Ingest's events
(:mod:`cloud.events`) wake the loop. Commands are built in :mod:`cloud.commands`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.commands import Commands, Outgoing
from cloud.db import devices as device_repo
from cloud.db import job_queries
from cloud.db import jobs as job_repo
from cloud.db.models import Device, Job, utcnow
from cloud.events import DeviceOnline, EventChannel, FleetEvent, RebirthWanted
from cloud.failover import Failover
from cloud.hub import ChangeHub
from cloud.retention import Retention
from fleet.routing import choose_device
from protocols.jobs import JobState

log = logging.getLogger(__name__)

#: Rows handled per kind of work per tick, so one tick never holds the database for long.
BATCH = 200


@dataclass(frozen=True, slots=True)
class Timing:
    interval_s: float  # between ticks
    ack_timeout_s: float  # a dispatched job without ``accepted`` is sent again
    reconcile_after_s: float  # an accepted/running job this quiet is asked again


class Dispatcher:
    """Decides which queued job goes to which device, and when to send its command."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hub: ChangeHub,
        commands: Commands,
        events: EventChannel,
        failover: Failover,
        retention: Retention,
        timing: Timing,
    ) -> None:
        self._sessions = sessions
        self._hub = hub
        self._commands = commands
        self._events = events
        self._failover = failover
        self._retention = retention
        self._timing = timing

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
            device = await device_repo.get(s, job.target_device_id)
            if device is None or not device.online or device.silent_since is not None:
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
        return Outgoing.of(job)

    # -- the loop ----------------------------------------------------------------------------

    async def run(self) -> None:
        """Tick every ``interval_s`` (or handle ingest's events at once) until cancelled."""
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        while True:
            event = await self._events.next(next_tick - loop.time())
            try:
                if event is not None:
                    await self._handle([event, *self._events.drain()])
                if loop.time() >= next_tick:
                    await self.tick()
                    next_tick = loop.time() + self._timing.interval_s
            except Exception:  # a bug or a database hiccup must not stop dispatching
                log.exception("dispatcher tick failed; trying again next tick")
                next_tick = loop.time() + self._timing.interval_s

    async def _handle(self, events: list[FleetEvent]) -> None:
        # the newest session counts: what was sent before it went to an older one (a second
        # reconnect while the first is still waiting to be handled must not be missed)
        online: dict[str, datetime] = {}
        for event in events:
            if isinstance(event, DeviceOnline):
                online[event.device_id] = max(event.since, online.get(event.device_id, event.since))
            elif isinstance(event, RebirthWanted):
                await self._commands.send_rebirth(event.device_id)
        if online:
            await self.on_devices_online(online)

    async def tick(self) -> None:
        now = utcnow()
        loop_time = asyncio.get_running_loop().time()
        await self.expire(now)
        await self.dispatch_ids(await self._failover.release(now, loop_time), now)
        await self.dispatch_due(now)
        await self.resend_unaccepted(now)
        await self._retention.maybe_prune(now, loop_time)

    async def expire(self, now: datetime) -> int:
        async with self._sessions() as s:
            jobs = await job_queries.expiring(s, now, BATCH)
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
                await job_repo.try_commit(s, self._hub)
        return len(jobs)

    async def dispatch_due(self, now: datetime) -> int:
        """Queued jobs that may run now: retries that are due, devices that are online."""
        async with self._sessions() as s:
            ids = await job_queries.due_ids(s, now, BATCH)
        return await self.dispatch_ids(ids, now)

    async def dispatch_ids(self, ids: Iterable[str], now: datetime) -> int:
        sent = 0
        for job_id in ids:
            async with self._sessions() as s:
                job = await job_repo.load(s, job_id, for_update=True)
                out = await self.prepare(s, job, now, "dispatcher") if job else None
                if out is None or not await job_repo.try_commit(s, self._hub):
                    continue
            sent += await self._commands.send(out)
        return sent

    async def resend_unaccepted(self, now: datetime) -> int:
        """Resend ``dispatched`` jobs whose ack is overdue and ``accepted``/``running`` ones
        silent for ``reconcile_after_s``."""
        ack_cutoff = now - timedelta(seconds=self._timing.ack_timeout_s)
        quiet = now - timedelta(seconds=self._timing.reconcile_after_s)
        async with self._sessions() as s:
            jobs = await job_queries.overdue(s, ack_cutoff, quiet, BATCH)
            outs = await self._mark_sent(s, jobs, now)
        return await self._resend(outs)

    async def _mark_sent(
        self, s: AsyncSession, jobs: Sequence[Job], now: datetime
    ) -> list[Outgoing]:
        """Count one more send of each job; the commands to send once that committed."""
        for job in jobs:
            job.sent_at = now
            job.sends += 1
        if not jobs or not await job_repo.try_commit(s, self._hub):
            return []
        return [Outgoing.of(job) for job in jobs]

    async def _resend(self, outs: Sequence[Outgoing]) -> int:
        for out in outs:
            log.info("resending job %s (attempt %d) to %s", out.job_id, out.attempt, out.device_id)
            await self._commands.send(out)
        return len(outs)

    async def on_devices_online(self, online: Mapping[str, datetime]) -> None:
        """Devices that came online, each with when its newest session began: resend every
        job each may still hold that was sent before that session, then dispatch the queued
        jobs aimed at them or at their sites. A few queries per run of ``DeviceOnline``
        events, not three per device: after a mass reconnect that is 10,000 devices within
        seconds (issue 17)."""
        for chunk in _chunks(sorted(online), ONLINE_CHUNK):
            async with self._sessions() as s:
                sites = await _online_sites(s, chunk)
                if not sites:
                    continue
                ids = await _queued_for_any(s, sites, BATCH * len(sites))
            now = utcnow()
            resent = await self._resend_held(now, {d: online[d] for d in sites})
            log.debug("%d device(s) online: %d job(s) resent", len(sites), resent)
            await self.dispatch_ids(ids, now)

    async def _resend_held(self, now: datetime, online: Mapping[str, datetime]) -> int:
        """Every job these devices may still hold whose command was sent before their newest
        session began, sent again (one query, one commit for the lot).

        This reconciles after a reconnect: the device answers a job it knows with its latest
        ack (it never runs a job id twice), so an outcome whose ack was lost — or sent while
        we were away — is learnt now instead of waiting for the TTL. A job whose cancel is
        pending gets its ``job.cancel`` again instead."""
        async with self._sessions() as s:
            stmt = (
                select(Job)
                .join(Device, Device.id == Job.assigned_device_id)
                .where(
                    Device.online.is_(True),
                    Job.state.in_(job_queries.HELD),
                    Job.assigned_device_id.in_(list(online)),
                    Job.sent_at < max(online.values()),
                )
                .limit(BATCH * len(online))
            )
            jobs = [
                job
                for job in (await s.scalars(stmt)).all()
                if job.assigned_device_id is not None
                and job.sent_at is not None
                and job.sent_at < online[job.assigned_device_id]
            ]
            outs = await self._mark_sent(s, jobs, now)
        return await self._resend(outs)


#: devices looked up per query when a run of them comes online (SQLite's bound parameters)
ONLINE_CHUNK = 500


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def _online_sites(s: AsyncSession, ids: Sequence[str]) -> dict[str, int]:
    """Of ``ids``, the devices online now, with their sites."""
    rows = await s.execute(
        select(Device.id, Device.site_id).where(Device.id.in_(ids), Device.online.is_(True))
    )
    return {device_id: site_id for device_id, site_id in rows.all()}


async def _queued_for_any(s: AsyncSession, sites: Mapping[str, int], limit: int) -> list[str]:
    """Queued jobs aimed at one of these devices or at one of their sites, oldest first."""
    stmt = (
        select(Job.id)
        .where(
            Job.state == JobState.QUEUED,
            or_(
                Job.target_device_id.in_(list(sites)),
                Job.target_site_id.in_(sorted(set(sites.values()))),
            ),
        )
        .order_by(Job.created_at)
        .limit(limit)
    )
    return list((await s.scalars(stmt)).all())
