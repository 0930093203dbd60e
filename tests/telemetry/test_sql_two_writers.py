"""Two cloud processes writing overlapping series at once (a rolling restart, ``$share``
ingest) neither deadlock nor count a point twice on PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cloud.db.telemetry_points import TelePoint, TeleRollup
from cloud.telemetry.sql_store import SqlStore
from tests.faults.databases import POSTGRES
from tests.telemetry.kit import T0, database, pt


@pytest.mark.postgres
async def test_two_writers_of_the_same_series_in_opposite_orders(
    tmp_path: Path, uid: str, postgres_url: str
) -> None:
    async with database(POSTGRES, tmp_path, f"kftele2_{uid}", postgres_url) as sessions:
        a, b = SqlStore(sessions), SqlStore(sessions)
        rounds = 15
        batches = [
            [pt(f"k{d:03d}", "sys.load1", 1.0, T0 + r * 1000) for d in range(300)]
            for r in range(rounds)
        ]

        async def write(store: SqlStore, reverse: bool) -> None:
            for points in batches:
                await store.write(points[::-1] if reverse else points)

        async with asyncio.timeout(120):
            await asyncio.gather(write(a, False), write(b, True))
        async with sessions() as s:
            assert await s.scalar(select(func.count()).select_from(TelePoint)) == 300 * rounds
            assert await s.scalar(select(func.sum(TeleRollup.vcount))) == 300 * rounds
