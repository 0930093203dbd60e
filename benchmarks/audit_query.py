"""Audit log queries on a large log: the common pages and the CSV export, on SQLite and on
PostgreSQL, each with wall time and CPU time.

    python -m benchmarks.audit_query [--rows 1000000] [--postgres URL] [--repeat 5]

Fills a fresh, migrated database with ``--rows`` rows (benchmarks/_audit_fill.py), then runs
each query ``--repeat`` times through :mod:`cloud.audit_query` (the code the API runs) and
prints the median wall ms, the median CPU ms of this process (for SQLite that includes the
database: it runs in aiosqlite's thread) and, on PostgreSQL, the CPU ms of the server backend
that ran it (from /proc: run it on the database's machine, as root or as postgres).
``--postgres`` takes a server URL (``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``);
a database ``kf_audit_bench`` is made on it and dropped afterwards. SQLite runs without
ANALYZE (a cloud never runs it); PostgreSQL is ANALYZEd after the fill, as autovacuum would.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarks._audit_fill import RARE_ACTOR, START, TOWN, fill_postgres, fill_sqlite
from cloud import audit_query as q
from cloud.api.audit import csv_chunks
from cloud.db import migrate
from cloud.db.session import make_engine
from tests.faults.databases import fresh_postgres

Sessions = async_sessionmaker[AsyncSession]
DAY = timedelta(days=1)
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Case:
    name: str
    f: q.AuditFilter
    scope: str = "qh"
    depth: int = 0  # pages to skip first (keyset: must cost the same as the first)


MID = START + timedelta(days=180)
CASES = [
    Case("newest page, root reader", q.AuditFilter()),
    Case("page 200 (10,000 rows deep)", q.AuditFilter(), depth=199),
    Case("one day", q.AuditFilter(since=MID, until=MID + DAY)),
    Case("actor exact (rare person)", q.AuditFilter(actor=RARE_ACTOR)),
    Case("actor prefix device:", q.AuditFilter(actor="device:")),
    Case("actor prefix user:u1234* (rare)", q.AuditFilter(actor="user:u1234*")),
    Case("action exact device.revoke (1 %)", q.AuditFilter(action="device.revoke")),
    Case("action prefix device.", q.AuditFilter(action="device.")),
    Case("result denied", q.AuditFilter(result="denied")),
    Case("site filter: one town", q.AuditFilter(site=TOWN)),
    Case("site filter: a prefecture", q.AuditFilter(site="qh/p3")),
    Case("town auditor, no filter", q.AuditFilter(), scope=TOWN),
    Case(
        "town auditor, device.*, 90 days",
        q.AuditFilter(action="device.", since=MID - 90 * DAY, until=MID),
        scope=TOWN,
    ),
    Case("siteless rows: auth.failed", q.AuditFilter(action="auth.failed")),
]


def backend_cpu_ms(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_MS  # utime + stime


async def _backend(s: AsyncSession) -> int | None:
    if s.get_bind().dialect.name != "postgresql":
        return None
    return int(await s.scalar(text("SELECT pg_backend_pid()")) or 0)


async def _cursor_at(sessions: Sessions, case: Case) -> int | None:
    cursor = None
    for _ in range(case.depth):
        async with sessions() as s:
            cursor = (await q.page(s, case.f, case.scope, q.DEFAULT_PAGE, cursor)).next_cursor
    return cursor


async def time_case(sessions: Sessions, case: Case, repeat: int) -> tuple[float, ...]:
    """(median wall ms, median client CPU ms, median server CPU ms, rows of the page)."""
    cursor = await _cursor_at(sessions, case)
    walls, cpus, servers, n = [], [], [], 0
    for _ in range(repeat):
        async with sessions() as s:
            pid = await _backend(s)
            srv0, cpu0, t0 = backend_cpu_ms(pid), time.process_time(), time.perf_counter()
            got = await q.page(s, case.f, case.scope, q.DEFAULT_PAGE, cursor)
            walls.append((time.perf_counter() - t0) * 1000)
            cpus.append((time.process_time() - cpu0) * 1000)
            servers.append(backend_cpu_ms(pid) - srv0)
            n = len(got.rows)
    return (statistics.median(walls), statistics.median(cpus), statistics.mean(servers), n)


async def time_export(sessions: Sessions, f: q.AuditFilter) -> tuple[float, float, int, int]:
    """(wall ms, client CPU ms, rows, bytes) of the cap check and the whole CSV stream."""
    cpu0, t0 = time.process_time(), time.perf_counter()
    async with sessions() as s:
        rows = await q.count_upto(s, f, "qh", 200_001)
    size = 0
    async for chunk in csv_chunks(sessions, f, "qh", 200_000):
        size += len(chunk)
    wall = (time.perf_counter() - t0) * 1000
    return wall, (time.process_time() - cpu0) * 1000, rows, size


async def run(
    url: str, label: str, rows: int, fill: Callable[[str, int], None], repeat: int
) -> None:
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
        t0 = time.perf_counter()
        await asyncio.to_thread(fill, url, rows)
        print(f"\n## {label}: {rows:,} rows filled in {time.perf_counter() - t0:.1f} s\n")
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        print("| query | rows | wall ms | client CPU ms | server CPU ms |")
        print("|---|---|---|---|---|")
        for case in CASES:
            wall, cpu, server, n = await time_case(sessions, case, repeat)
            srv = f"{server:.0f}" if label == "PostgreSQL" else "—"
            print(f"| {case.name} | {n} | {wall:.1f} | {cpu:.1f} | {srv} |")
        month = q.AuditFilter(since=MID, until=MID + 30 * DAY)
        wall, cpu, n, size = await time_export(sessions, month)
        print(
            f"\nexport of 30 days: {n:,} rows, {size / 1e6:.1f} MB of CSV in {wall / 1000:.2f} s "
            f"({n / (wall / 1000):,.0f} rows/s), client CPU {cpu / 1000:.2f} s"
        )
    finally:
        await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    print(f"audit_query benchmark · {platform.python_version()} · {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'audit.db'}"
        await run(url, "SQLite", args.rows, fill_sqlite, args.repeat)
    if args.postgres:
        with fresh_postgres(args.postgres, "kf_audit_bench") as url:
            await run(url, "PostgreSQL", args.rows, fill_postgres, args.repeat)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (optional)")
    parser.add_argument("--repeat", type=int, default=5)
    asyncio.run(main(parser.parse_args()))
