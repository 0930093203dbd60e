"""Telemetry messages into the database: the newest values and the message ids, many messages
per transaction.

The bus hands the ingest the messages already waiting (up to ``cloud.bus.BATCH_MAX``); a run
of consecutive ``tele`` messages among them is written here in ONE transaction: one query finds
every device of the run with its site path, one finds which message ids were handled before
(then the connection is let go while the points are checked), one statement records the newest
values (``cloud.telemetry.latest``), one marks the devices seen and one records the message
ids. Per message that was ~7 ms of CPU; per run it is a few ms for up to 64 messages
(``docs/benchmarks.md``).

The promises are the per-message path's (:meth:`TeleIngest.one`, kept for single messages):
a message id already handled — before, or earlier in the same run — changes nothing and is
counted ``duplicate_message``; a device without a birth is refused (``unknown_device``) and
asked for one; the ids commit with the newest values, and only then are the points queued for
the store, so a replay stores nothing twice. If the run's commit finds an id taken meanwhile
(another cloud process on the ``$share`` group got a copy), every message of the run is
committed on its own with the verdicts already made, so none is checked (or counted) twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db import devices as device_repo
from cloud.db import messages as message_repo
from cloud.db.models import Device, ProcessedMessage, Site, utcnow
from cloud.hub import ChangeHub
from cloud.reasons import Ignored
from cloud.stats import BusStats
from cloud.telemetry.latest import upsert_latest
from cloud.telemetry.lean import TeleBody
from cloud.telemetry.model import Point
from cloud.telemetry.pipeline import TelemetryPipeline
from cloud.telemetry.validate import Verdict
from protocols.envelope import Envelope

log = logging.getLogger(__name__)

#: (index in the batch, error) of a message that could not be applied
Failure = tuple[int, Exception]
#: refuse a message of a device without a birth (and ask it for one): device id, what
Unknown = Callable[[str, str], Awaitable[None]]
#: commit with the message id recorded; False if it was handled before (counted)
CommitOnce = Callable[[AsyncSession, str, str], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class _Checked:
    index: int
    device_id: str
    msg_id: str
    verdict: Verdict


class TeleIngest:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hub: ChangeHub,
        stats: BusStats,
        telemetry: TelemetryPipeline,
        unknown: Unknown,
        commit_once: CommitOnce,
    ) -> None:
        self._sessions = sessions
        self._hub = hub
        self._stats = stats
        self._telemetry = telemetry
        self._unknown = unknown
        self._commit_once = commit_once

    async def one(self, device_id: str, msg_id: str, body: TeleBody) -> None:
        """One message in its own transaction."""
        async with self._sessions() as s:
            device = await device_repo.get(s, device_id)
            if device is None:
                return await self._unknown(device_id, "telemetry")
            if await message_repo.was_processed(s, msg_id):  # before the flood counts
                return self._stats.ignore(Ignored.DUPLICATE_MESSAGE, f"{device_id} {msg_id}")
            site = await device_repo.site_path(s, device.site_id)
            verdict = self._telemetry.check(device_id, device.role, site, body)
            await upsert_latest(s, verdict.points)
            device.last_seen = utcnow()
            if not await self._commit_once(s, device_id, msg_id):
                return
        self._done([device_id], verdict.points)

    async def run(
        self, items: Sequence[tuple[str, Envelope[Any]]], run: Sequence[int]
    ) -> list[Failure]:
        """The ``tele`` messages ``items[i]`` for ``i`` in ``run``, written in one transaction.
        Returns the messages that failed; every other one is applied or counted.

        The checks (the CPU: validating and tagging every point) run between two short uses
        of the database, holding no connection: on SQLite (one connection per process) another
        bus worker writes its batch meanwhile, so the CPU and the database work side by side."""
        try:
            async with self._sessions() as s:
                known, handled = await self._lookup(s, items, run)
            checked = await self._check(items, run, known, handled)
            if not checked:
                return []
            async with self._sessions() as s:
                try:
                    await self._write(s, checked)
                    await s.commit()
                except IntegrityError:  # an id handled meanwhile by another process
                    await s.rollback()
                    return await self._each(checked)
        except Exception as err:
            log.debug("telemetry run of %d messages failed: %r", len(run), err)
            return [(i, err) for i in run]
        self._done([c.device_id for c in checked], [p for c in checked for p in c.verdict.points])
        return []

    async def _lookup(
        self, s: AsyncSession, items: Sequence[tuple[str, Envelope[Any]]], run: Sequence[int]
    ) -> tuple[dict[str, tuple[str, str]], set[str]]:
        """The run's known devices (role, site path) and its message ids handled before."""
        ids = sorted({items[i][0] for i in run})
        rows = await s.execute(
            select(Device.id, Device.role, Site.path)
            .outerjoin(Site, Site.id == Device.site_id)
            .where(Device.id.in_(ids))
        )
        known = {dev: (role, path or "") for dev, role, path in rows.all()}
        msg_ids = sorted({items[i][1].id for i in run})
        handled = set(
            await s.scalars(select(ProcessedMessage.id).where(ProcessedMessage.id.in_(msg_ids)))
        )
        return known, handled

    async def _check(
        self,
        items: Sequence[tuple[str, Envelope[Any]]],
        run: Sequence[int],
        known: dict[str, tuple[str, str]],
        handled: set[str],
    ) -> list[_Checked]:
        """The run's messages that are new and from known devices, checked and tagged;
        the others refused or ignored (counted), as :meth:`one` does."""
        checked: list[_Checked] = []
        for i in run:
            device_id, env = items[i]
            if device_id not in known:
                await self._unknown(device_id, "telemetry")
                continue
            if env.id in handled:
                self._stats.ignore(Ignored.DUPLICATE_MESSAGE, f"{device_id} {env.id}")
                continue
            handled.add(env.id)  # a second copy later in this run is a duplicate too
            role, site = known[device_id]
            verdict = self._telemetry.check(device_id, role, site, env.body)
            checked.append(_Checked(i, device_id, env.id, verdict))
        return checked

    async def _write(self, s: AsyncSession, checked: Sequence[_Checked]) -> None:
        now = utcnow()
        await upsert_latest(s, [p for c in checked for p in c.verdict.points])
        devices = sorted({c.device_id for c in checked})
        await s.execute(update(Device).where(Device.id.in_(devices)).values(last_seen=now))
        await s.execute(
            insert(ProcessedMessage),
            [{"id": c.msg_id, "device_id": c.device_id, "received_at": now} for c in checked],
        )

    async def _each(self, checked: Sequence[_Checked]) -> list[Failure]:
        """Fallback: each message in its own transaction, with the verdict already made."""
        failures: list[Failure] = []
        for c in checked:
            try:
                async with self._sessions() as s:
                    await upsert_latest(s, c.verdict.points)
                    stmt = update(Device).where(Device.id == c.device_id)
                    await s.execute(stmt.values(last_seen=utcnow()))
                    if not await self._commit_once(s, c.device_id, c.msg_id):
                        continue
            except Exception as err:
                failures.append((c.index, err))
                continue
            self._done([c.device_id], c.verdict.points)
        return failures

    def _done(self, device_ids: Sequence[str], points: Sequence[Point]) -> None:
        """After the commit: the points go to the store, pages hear of it."""
        self._telemetry.enqueue(points)
        for device_id in dict.fromkeys(device_ids):
            self._hub.publish(f"device:{device_id}", "tele")
