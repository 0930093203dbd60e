"""The SQL default's own ceiling: points per second written into SQLite and PostgreSQL
through :class:`cloud.telemetry.sql_store.SqlStore` (raw points + 5-minute rollups in one
transaction per batch), and what checking and tagging costs per point.

    python -m benchmarks.telemetry_sql [--points 200000] [--batch 5000] [--devices 1000]
        [--postgres URL]

Points look like the fleet's: ``--devices`` kiosks each sending the ten system gauges every
10 s, written in batches of ``--batch`` (the pipeline's ``tele_batch_points``), oldest first,
as the writer would after a quiet period. Prints wall time and this process's CPU time per
phase (for SQLite the database runs in aiosqlite's thread, so its CPU is included; for
PostgreSQL the server's is not). ``--postgres`` takes a server URL; a database
``kf_tele_bench`` is made on it and dropped afterwards. Then two reads: one device over 24 h
in 5-minute steps (rollups) and the whole fleet's maximum over the last hour in 1-minute steps
(raw points).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker

from cloud.db import migrate
from cloud.db.session import make_engine
from cloud.telemetry.model import Agg, Point, SeriesQuery
from cloud.telemetry.sql_store import SqlStore
from cloud.telemetry.validate import Limits, Validator, cloud_tags_of
from protocols.messages import Metric
from protocols.telemetry import SysMetric, site_tags
from tests.faults.databases import fresh_postgres

START_MS = 1_796_457_600_000
GAUGES = [m.value for m in SysMetric]
SITES = ["qh/hx/golmud/hhl", "qh/hx/golmud/tgls", "qh/hx/golmud/bayi"]


def points(total: int, devices: int) -> Iterator[Point]:
    """``total`` points: every device's ten gauges, one round every 10 s."""
    n = 0
    for step in range(total // (devices * len(GAUGES)) + 1):
        ts = START_MS + step * 10_000
        for d in range(devices):
            tags = {"device": f"k{d:05d}", "role": "kiosk", **site_tags(SITES[d % 3])}
            for g, name in enumerate(GAUGES):
                if n == total:
                    return
                yield Point(name, float((d + g + step) % 100), ts, tags)
                n += 1


def timed(label: str, count: int, wall: float, cpu: float) -> None:
    print(
        f"  {label:<38} {count:>8} in {wall:7.2f} s wall = {count / wall:>9,.0f}/s; "
        f"CPU {cpu / count * 1e6:6.1f} µs/point"
    )


async def write_all(store: SqlStore, all_points: list[Point], batch: int) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(all_points), batch):
        await store.write(all_points[i : i + batch])
    timed(
        "write (raw + rollups)",
        len(all_points),
        time.perf_counter() - wall,
        time.process_time() - cpu,
    )


async def reads(store: SqlStore, devices: int, total: int) -> None:
    span_ms = (total // (devices * len(GAUGES))) * 10_000
    end = START_MS + span_ms + 1
    cases = [
        (
            "one device, 24 h, 5 min (rollups)",
            SeriesQuery("sys.cpu_pct", end - 86_400_000, end, 300, device="k00001"),
        ),
        (
            "fleet max, last hour, 1 min (raw)",
            SeriesQuery("sys.cpu_pct", end - 3_600_000, end, 60, Agg.MAX, site="qh", group_by=()),
        ),
    ]
    for label, q in cases:
        wall, cpu = time.perf_counter(), time.process_time()
        found = await store.query(q)
        n = sum(len(s.points) for s in found)
        ms = (time.perf_counter() - wall) * 1000
        cpu_ms = (time.process_time() - cpu) * 1000
        print(
            f"  {label:<38} {len(found)} series, {n} points: {ms:.0f} ms wall, CPU {cpu_ms:.0f} ms"
        )


async def run_on(url: str, all_points: list[Point], args: argparse.Namespace) -> None:
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
        store = SqlStore(async_sessionmaker(engine, expire_on_commit=False))
        await write_all(store, all_points, args.batch)
        await reads(store, args.devices, args.points)
    finally:
        await engine.dispose()


def check_cost(all_points: list[Point]) -> None:
    """What the pipeline's checking and tagging costs per point (no I/O)."""
    v = Validator(Limits(max_age_ms=10**13, future_ms=10**13, per_series_min=10**6))
    metrics = [Metric(name=p.name, value=p.value, ts=p.ts_ms) for p in all_points[:50_000]]
    tags = cloud_tags_of("k00001", "kiosk", SITES[0])
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(metrics), 500):
        v.check(metrics[i : i + 500], tags, START_MS)
    timed(
        "check + tag (validate.py)",
        len(metrics),
        time.perf_counter() - wall,
        time.process_time() - cpu,
    )


async def main(args: argparse.Namespace) -> None:
    all_points = list(points(args.points, args.devices))
    print(f"{len(all_points)} points, {args.devices} devices, batches of {args.batch}")
    check_cost(all_points)
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite:")
        await run_on(f"sqlite+aiosqlite:///{Path(tmp) / 'tele.db'}", all_points, args)
    if args.postgres:
        with fresh_postgres(args.postgres, "kf_tele_bench") as url:
            print("PostgreSQL:")
            await run_on(url, all_points, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--postgres", default="")
    asyncio.run(main(parser.parse_args()))
