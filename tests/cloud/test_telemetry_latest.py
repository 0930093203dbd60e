"""The newest value per series: a late (older) point never replaces a newer one."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from cloud.telemetry.latest import SQLITE_ROWS, latest_values, upsert_latest
from cloud.telemetry.model import Point
from protocols.telemetry import site_tags
from tests.audit.audit_db import migrated
from tests.faults.databases import PARAMS, POSTGRES


def point(device: str, value: float, ts_ms: int, site: str = "qh/hx/golmud/hhl") -> Point:
    tags = {"device": device, "role": "kiosk", **site_tags(site), "peripheral": "receipt"}
    return Point("peripheral.paper", value, ts_ms, tags)


@pytest.mark.parametrize("kind", PARAMS)
async def test_the_newest_point_wins_whatever_order_they_arrive_in(
    kind: str, tmp_path: Path, uid: str, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue("postgres_url") if kind == POSTGRES else None
    async with migrated(kind, tmp_path, f"kft_{uid}", server) as engine:
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        async with sessions() as s:
            await upsert_latest(s, [point("k1", 1, 2000), point("k1", 0, 1000)])
            await upsert_latest(s, [point("k2", 2, 5000, site="qh/hx/golmud/tgl")])
            await s.commit()
        async with sessions() as s:
            await upsert_latest(s, [point("k1", 0, 1500)])  # a replayed, older batch
            await s.commit()
            [k1] = await latest_values(s, device="k1")
            golmud = await latest_values(s, site="qh/hx/golmud", names=["peripheral.paper"])
            none = await latest_values(s, site="qh/hx/golmud/hh")  # a prefix, not a subtree
    assert (k1.value, k1.ts_ms, dict(k1.tags)) == (1.0, 2000, {"peripheral": "receipt"})
    assert sorted(v.device_id for v in golmud) == ["k1", "k2"]
    assert none == []


@pytest.mark.parametrize("kind", PARAMS)
async def test_a_run_larger_than_one_statement_keeps_every_series_newest(
    kind: str, tmp_path: Path, uid: str, request: pytest.FixtureRequest
) -> None:
    """More rows than one multi-row statement holds (``SQLITE_ROWS``): every series is
    written, across the statements' boundaries, and a late point still loses everywhere."""
    server = request.getfixturevalue("postgres_url") if kind == POSTGRES else None
    n = 2 * SQLITE_ROWS + 7
    names = [f"peripheral.c{i}" for i in range(n)]
    tags = {"device": "k9", "role": "kiosk", **site_tags("qh/hx/golmud/hhl")}
    async with migrated(kind, tmp_path, f"kft_{uid}", server) as engine:
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        async with sessions() as s:
            await upsert_latest(s, [Point(name, 1.0, 1000, tags) for name in names])
            await s.commit()
        # the even series get a newer point, the odd ones a late, older one
        again = [Point(name, 2.0, 900 + 200 * (i % 2 == 0), tags) for i, name in enumerate(names)]
        async with sessions() as s:
            await upsert_latest(s, again)
            await s.commit()
            held = {v.name: (v.value, v.ts_ms) for v in await latest_values(s, device="k9")}
    assert len(held) == n
    assert all(
        held[name] == ((2.0, 1100) if i % 2 == 0 else (1.0, 1000)) for i, name in enumerate(names)
    )
