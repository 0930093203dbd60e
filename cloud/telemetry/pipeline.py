"""Telemetry ingest: a device's batch → checked, tagged points → ``tele_latest`` at once and
the time-series store through a bounded buffer.

``accept`` never waits for the store: the points go into :class:`PointBuffer` and :meth:`run`
(a worker of the cloud) writes them in batches. While the store is down the writer keeps the
batch, backs off and tries again; the buffer holds at most ``tele_buffer_points`` and drops
the oldest beyond (counted). Job acks and other messages share the bus with telemetry and
never wait behind any of this. On a graceful stop :meth:`stop` writes what is still held.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.clocks import DeviceClocks
from cloud.telemetry.buffer import PointBuffer
from cloud.telemetry.latest import upsert_latest
from cloud.telemetry.lean import TeleBody
from cloud.telemetry.model import Point, StoreUnavailable
from cloud.telemetry.store import TelemetryStore
from cloud.telemetry.validate import Bad, Limits, Validator, Verdict, cloud_tags_of
from protocols.envelope import wall_ms

log = logging.getLogger(__name__)

#: (device, reason) pairs already logged; forgotten all at once beyond this many
TOLD_MEMORY = 10_000


@dataclass(frozen=True, slots=True)
class Accepted:
    """What became of one batch: points queued for the store, refused/changed by reason,
    and older points the full buffer dropped to make room."""

    points: int
    bad: dict[str, int]
    dropped: int


@dataclass(frozen=True, slots=True)
class Backoff:
    """Seconds between write attempts while the store refuses: doubling from ``first``."""

    first: float = 0.5
    most: float = 10.0


class TelemetryPipeline:
    def __init__(
        self,
        store: TelemetryStore,
        sessions: async_sessionmaker[AsyncSession],
        clocks: DeviceClocks,
        limits: Limits,
        *,
        buffer_points: int = 200_000,
        batch_points: int = 5000,
        backoff: Backoff = Backoff(),
    ) -> None:
        self.store = store
        self._sessions = sessions
        self._clocks = clocks
        self.validator = Validator(limits)
        self.buffer = PointBuffer(buffer_points, batch_points)
        self._batch = batch_points
        self._backoff = backoff
        self.accepted = 0
        self.written = 0
        self.write_failures = 0
        self.last_error = ""
        self.last_write_s = 0.0
        self._down_since: float | None = None
        self._told: set[tuple[str, Bad]] = set()

    def check(self, device_id: str, role: str, site: str, body: TeleBody) -> Verdict:
        """Checked, tagged points of one batch (counted); nothing is stored yet."""
        tags = cloud_tags_of(device_id, role, site)
        offset = self._clocks.offset_ms(device_id)
        verdict = self.validator.check(body.metrics, tags, wall_ms(), offset)
        if verdict.bad:
            self._tell(device_id, verdict)
        return verdict

    def _tell(self, device_id: str, verdict: Verdict) -> None:
        """Log bad input once per device and reason (a flood would flood the log too);
        every case is counted in :meth:`stats` whatever is logged."""
        new = [why for why in verdict.bad if (device_id, why) not in self._told]
        if not new:
            return
        if len(self._told) > TOLD_MEMORY:
            self._told.clear()
        self._told.update((device_id, why) for why in new)
        log.warning(
            "telemetry of %s: points refused or changed %s; see docs/telemetry.md (logged "
            "once per device and reason, all counted in /api/v1/telemetry/stats)",
            device_id,
            {str(k): v for k, v in verdict.bad.items()},
        )

    def enqueue(self, points: Sequence[Point]) -> int:
        """Hand points to the writer; never waits. Returns the older points dropped."""
        self.accepted += len(points)
        dropped = self.buffer.put(points)
        if dropped:
            log.warning(
                "telemetry buffer full (%d points): dropped the %d oldest; the %s store is "
                "down or slower than ingest (%s)",
                self.buffer.max_points,
                dropped,
                self.store.name,
                self.last_error or "no error yet",
            )
        return dropped

    async def accept(self, device_id: str, role: str, site: str, body: TeleBody) -> Accepted:
        """Check and tag a batch, record its newest values, queue it for the store."""
        verdict = self.check(device_id, role, site, body)
        if verdict.points:
            async with self._sessions() as s:
                await upsert_latest(s, verdict.points)
                await s.commit()
        dropped = self.enqueue(verdict.points)
        return Accepted(len(verdict.points), {str(k): v for k, v in verdict.bad.items()}, dropped)

    async def run(self) -> None:
        """The writer: batches from the buffer into the store, retrying while it is down.

        A store that says it takes several writes at once (``parallel_writes``: the InfluxDB
        v2 store, two) gets up to that many, each slot refilled as soon as its write ends
        (issue 12: writing two batches and waiting for both let a slow one hold the other
        slot idle). A second write starts only for a full batch (``batch_points``): below
        capacity one write at a time takes whatever came in meanwhile, so requests stay large
        and no timer delays a point. After a refusal nothing new starts for the back-off
        (doubling while refusals go on); refused batches go back to the front."""
        parallel = max(1, int(getattr(self.store, "parallel_writes", 1)))
        writes: list[asyncio.Task[bool]] = []  # oldest first
        delay = self._backoff.first
        try:
            while True:
                await self._wait_for_work(writes, parallel)
                ended = [t for t in writes if t.done()]
                writes = [t for t in writes if not t.done()]
                if ended and not all(t.result() for t in ended):
                    await asyncio.sleep(delay)  # writes in flight go on meanwhile
                    delay = min(delay * 2, self._backoff.most)
                    continue
                if ended:
                    delay = self._backoff.first
                if self._may_start(writes, parallel):
                    batch = self.buffer.take(self._batch)
                    if batch:
                        writes.append(asyncio.create_task(self._write(batch)))
        finally:  # the newest given back first, so the oldest ends up in front
            for task in reversed(writes):
                task.cancel()
            await asyncio.gather(*writes, return_exceptions=True)

    def _may_start(self, writes: list[asyncio.Task[bool]], parallel: int) -> bool:
        waiting = self.buffer.waiting
        if not waiting or len(writes) >= parallel:
            return False
        return not writes or waiting >= self._batch

    async def _wait_for_work(self, writes: list[asyncio.Task[bool]], parallel: int) -> None:
        """Until a write ended or another may start."""
        if any(t.done() for t in writes) or self._may_start(writes, parallel):
            return
        if not writes:
            await self.buffer.wait_ready()
            return
        extra = [asyncio.ensure_future(self.buffer.wait_batch())] if len(writes) < parallel else []
        try:
            await asyncio.wait([*writes, *extra], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in extra:
                waiter.cancel()
            await asyncio.gather(*extra, return_exceptions=True)

    async def _write(self, batch: list[Point]) -> bool:
        """One batch into the store: True if it took it; if not, the batch is back in the
        buffer's front (also when the writer is cancelled mid-write)."""
        started = time.perf_counter()
        try:
            await self.store.write(batch)
        except asyncio.CancelledError:
            self.buffer.give_back(batch)
            raise
        except Exception as err:  # the store's own errors and anything unexpected alike
            self.buffer.give_back(batch)
            self._failed(err)
            return False
        self.buffer.done(batch)
        self.written += len(batch)
        self.last_write_s = time.perf_counter() - started
        if self._down_since is not None:
            log.info(
                "telemetry store %s takes points again after %.1f s",
                self.store.name,
                time.monotonic() - self._down_since,
            )
            self._down_since = None
        return True

    def _failed(self, err: Exception) -> None:
        self.write_failures += 1
        self.last_error = f"{type(err).__name__}: {err}"[:500]
        if self._down_since is None:
            self._down_since = time.monotonic()
            if isinstance(err, StoreUnavailable):
                log.warning("telemetry store %s refuses points: %s", self.store.name, err)
            else:
                log.error("telemetry store %s failed to write", self.store.name, exc_info=err)

    async def flush(self, timeout_s: float) -> bool:
        """Wait until every point queued so far is written; False if ``timeout_s`` passed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.buffer.wait_empty(), timeout_s)
            return True
        return False

    async def stop(self, timeout_s: float = 10.0) -> None:
        """On a graceful stop (the bus already stopped): write what is still held, for at
        most ``timeout_s``; what is left then is logged as lost."""
        if not await self.flush(timeout_s):
            log.error(
                "telemetry: %d points not written to %s at stop (%s)",
                self.buffer.held,
                self.store.name,
                self.last_error or "store too slow",
            )

    def stats(self) -> dict[str, Any]:
        """For ``/metrics`` and ``/api/v1/stats``: counts since the process started."""
        return {
            "store": self.store.name,
            "accepted_points": self.accepted,
            "written_points": self.written,
            "buffered_points": self.buffer.held,
            "buffer_capacity": self.buffer.max_points,
            "buffer_peak": self.buffer.peak,
            "dropped_points": self.buffer.dropped,
            "write_failures": self.write_failures,
            "store_down": self._down_since is not None,
            "last_error": self.last_error,
            "last_write_s": round(self.last_write_s, 4),
            "bad_points": {str(k): v for k, v in sorted(self.validator.counts.items())},
        }
