"""The SQL default writes raw points once and folds exactly the new ones into 5-minute
rollups (count, sum, min, max, newest value), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.telemetry_points import TelePoint, TeleRollup
from cloud.telemetry import sql_store
from cloud.telemetry.sql_store import SqlStore
from tests.telemetry.kit import MIN, T0, pt

DAY = 24 * 60 * MIN


async def rollups(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[object, ...]]:
    async with sessions() as s:
        rows = await s.execute(
            select(
                TeleRollup.device_id,
                TeleRollup.bucket_ms,
                TeleRollup.vcount,
                TeleRollup.vsum,
                TeleRollup.vmin,
                TeleRollup.vmax,
                TeleRollup.vlast,
                TeleRollup.last_ts,
            ).order_by(TeleRollup.device_id, TeleRollup.bucket_ms)
        )
        return [tuple(r) for r in rows]


async def test_rollups_hold_count_sum_min_max_and_the_newest_value(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = SqlStore(sessions)
    name = "sys.cpu_pct"
    # bucket T0: 10, 40, 25 (the newest, at +4 min, arrives first, ahead of an older one in
    # its own batch); bucket T0+5: 7
    first = [pt("k1", name, 25.0, T0 + 4 * MIN), pt("k1", name, 10.0, T0)]
    await store.write([*first, pt("k1", name, 7.0, T0 + 5 * MIN)])
    late = [pt("k1", name, 40.0, T0 + 2 * MIN)]
    await store.write(late)
    await store.write(late)  # a batch retried after a timeout: nothing counts twice
    assert await rollups(sessions) == [
        ("k1", T0, 3, 75.0, 10.0, 40.0, 25.0, T0 + 4 * MIN),
        ("k1", T0 + 5 * MIN, 1, 7.0, 7.0, 7.0, 7.0, T0 + 5 * MIN),
    ]
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(TelePoint)) == 4


async def test_series_differ_by_device_tags_and_a_batch_may_repeat_a_point(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = SqlStore(sessions)
    name = "peripheral.pages"
    await store.write(
        [
            pt("k1", name, 5, T0, peripheral="receipt"),
            pt("k1", name, 9, T0, peripheral="a4"),
            pt("k1", name, 6, T0 + MIN, peripheral="receipt"),
            pt("k1", name, 6, T0 + MIN, peripheral="receipt"),  # the same point twice
        ]
    )
    async with sessions() as s:
        rows = await s.execute(
            select(TeleRollup.series_key, TeleRollup.vcount, TeleRollup.vsum).order_by(
                TeleRollup.series_key
            )
        )
        assert [tuple(r) for r in rows] == [
            ("peripheral=a4", 1, 9.0),
            ("peripheral=receipt", 2, 11.0),
        ]


async def test_retention_deletes_raw_points_after_days_and_rollups_after_a_year(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = SqlStore(sessions, raw_days=7, rollup_days=365)
    name = "sys.mem_pct"
    await store.write(
        [
            pt("k1", name, 1, T0 - 400 * DAY),  # past both
            pt("k1", name, 2, T0 - 8 * DAY),  # past raw, within rollups
            pt("k1", name, 3, T0 - 6 * DAY),  # within both
        ]
    )
    await store.prune(datetime.fromtimestamp(T0 / 1000, UTC) + timedelta(seconds=1))
    async with sessions() as s:
        raw = (await s.scalars(select(TelePoint.value).order_by(TelePoint.ts_ms))).all()
        kept = (await s.scalars(select(TeleRollup.vsum).order_by(TeleRollup.bucket_ms))).all()
    assert list(raw) == [3.0]
    assert list(kept) == [2.0, 3.0]


async def test_a_write_retried_after_part_of_it_was_committed_counts_each_point_once(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_store, "TX_POINTS", 3)  # commits every 3 points
    store = SqlStore(sessions)
    name = "link.rtt_ms"
    batch = [pt("k1", name, float(i), T0 + i * 1000) for i in range(7)]
    await store.write(batch[:4])  # the first transactions of a write that then failed
    await store.write(batch)  # the writer's retry of the whole batch
    assert await rollups(sessions) == [("k1", T0, 7, 21.0, 0.0, 6.0, 6.0, T0 + 6000)]
