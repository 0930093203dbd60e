"""While the store is down, points wait in the bounded buffer (counted, the oldest dropped
when it is full) and ``accept`` never waits; when the store is back, everything held is
written — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.clocks import DeviceClocks
from cloud.db.telemetry_points import TelePoint, TeleRollup
from cloud.telemetry.latest import latest_values
from cloud.telemetry.model import Point
from cloud.telemetry.pipeline import Backoff, TelemetryPipeline
from cloud.telemetry.sql_store import SqlStore
from cloud.telemetry.validate import Limits
from protocols.envelope import wall_ms
from protocols.messages import Metric, TelemetryBody
from tests.telemetry.kit import HHL, Switch

FAST = Backoff(first=0.01, most=0.05)


def batch(first: int, count: int) -> TelemetryBody:
    """``count`` points of peripheral.pages (one per peripheral), values from ``first``."""
    now = wall_ms()
    return TelemetryBody(
        metrics=[
            Metric(
                name="peripheral.pages",
                value=first + i,
                ts=now,
                tags={"peripheral": f"p{first + i}"},
            )
            for i in range(count)
        ]
    )


@asynccontextmanager
async def running(pipeline: TelemetryPipeline) -> AsyncIterator[TelemetryPipeline]:
    writer = asyncio.create_task(pipeline.run())
    try:
        yield pipeline
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)


async def stored_values(sessions: async_sessionmaker[AsyncSession]) -> list[float]:
    async with sessions() as s:
        return sorted((await s.scalars(select(TelePoint.value))).all())


async def test_points_wait_while_the_store_is_down_and_are_all_written_after(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = Switch(SqlStore(sessions))
    store.down = True
    pipeline = TelemetryPipeline(store, sessions, DeviceClocks(2000), Limits(), backoff=FAST)
    async with running(pipeline):
        for first in (0, 10, 20):
            accepted = await pipeline.accept("k1", "kiosk", HHL, batch(first, 10))
            assert (accepted.points, accepted.dropped) == (10, 0)
        assert not await pipeline.flush(0.3)  # nothing can be written
        stats = pipeline.stats()
        assert stats["buffered_points"] == 30 and stats["store_down"] is True
        assert stats["write_failures"] >= 1 and store.refused >= 1
        assert await stored_values(sessions) == []
        async with sessions() as s:  # the newest values do not wait for the store
            assert len(await latest_values(s, device="k1")) == 30
        store.down = False
        assert await pipeline.flush(30), pipeline.stats()
    assert await stored_values(sessions) == [float(v) for v in range(30)]
    async with sessions() as s:
        assert await s.scalar(select(func.sum(TeleRollup.vcount))) == 30
    stats = pipeline.stats()
    assert (stats["written_points"], stats["buffered_points"], stats["dropped_points"]) == (
        30,
        0,
        0,
    )
    assert stats["store_down"] is False


async def test_a_full_buffer_drops_the_oldest_points_and_counts_them(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = Switch(SqlStore(sessions))
    store.down = True
    pipeline = TelemetryPipeline(
        store, sessions, DeviceClocks(2000), Limits(), buffer_points=100, backoff=FAST
    )
    async with running(pipeline):
        dropped = 0
        for first in range(0, 150, 30):
            dropped += (await pipeline.accept("k1", "kiosk", HHL, batch(first, 30))).dropped
        assert dropped == 50
        assert pipeline.stats()["dropped_points"] == 50
        assert pipeline.stats()["buffered_points"] == 100
        store.down = False
        assert await pipeline.flush(30), pipeline.stats()
    assert await stored_values(sessions) == [float(v) for v in range(50, 150)]  # the newest


class Hanging:
    """A store that never answers (a TSDB behind a black-holed route)."""

    name = "hanging"

    def __init__(self) -> None:
        self.calls = 0

    async def write(self, points: Sequence[Point]) -> None:
        self.calls += 1
        await asyncio.Event().wait()

    async def query(self, q: object) -> list[object]:
        raise AssertionError("not asked")

    async def close(self) -> None:
        pass


async def test_accept_never_waits_for_a_store_that_hangs(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = Hanging()
    pipeline = TelemetryPipeline(store, sessions, DeviceClocks(2000), Limits(), batch_points=5)  # type: ignore[arg-type]
    async with running(pipeline):
        for first in range(0, 100, 10):
            async with asyncio.timeout(10):  # generous: each returns without the store
                await pipeline.accept("k1", "kiosk", HHL, batch(first, 10))
        assert pipeline.stats()["buffered_points"] == 100
        assert store.calls == 1  # the writer is stuck on its first batch; ingest is not
