"""The print/copy audit's statistics on a large audit, on PostgreSQL: the report by day, week
and month and kind over a year, a prefecture and a town, and a page of records, each with its
p95 wall time. Target (issue 15): p95 ≤ 1 s over 1,000,000 rows (the seed allows 8 s).

    python -m benchmarks.audit --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        [--rows 1000000] [--repeat 20]

A database ``kf_print_audit_bench`` is made on the server, migrated (the cloud's own
migrations), filled with ``--rows`` records by COPY — a year of prints at 8 prefectures × 5
cities × 10 towns, 3 kiosks each, weighted by kind as halls print (receipts and tickets most,
certificates and copies fewer), 1–6 pages — ANALYZEd (as autovacuum would after a load), then
each case runs ``--repeat`` times through :mod:`cloud.print_audit_query` (the code behind
``GET /api/v1/print-audit/report`` and ``.../records``). It prints the median and p95 wall ms
and the rows each answer covers, and drops the database afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db import migrate
from cloud.db.session import make_engine
from cloud.print_audit_daily import scopes_of
from cloud.print_audit_query import Filter, Period, _raw_counts, records, report
from tests.faults.databases import fresh_postgres

TZ = ZoneInfo("Asia/Shanghai")
END = datetime(2026, 12, 1, tzinfo=TZ).astimezone(UTC)
START = END - timedelta(days=365)
KINDS = [  # (purpose, weight, job kind)
    ("ticket", 30, "print_receipt"),
    ("receipt", 15, "print_receipt"),
    ("query", 12, "print_receipt"),
    ("payment", 8, "print_receipt"),
    ("guide", 8, "print_document"),
    ("form", 7, "print_document"),
    ("certificate", 6, "print_document"),
    ("application", 5, "print_receipt"),
    ("copy", 7, "copy"),
    ("other", 2, "print_document"),
]
TOWNS = [f"qh/p{p}/c{c}/t{t}" for p in range(8) for c in range(5) for t in range(10)]
TOWN = "qh/p3/c2/t7"
COLUMNS = (
    "job_id",
    "at",
    "device_id",
    "site",
    "purpose",
    "job_kind",
    "pages",
    "sha256",
    "content_sha256",
    "content_type",
)


@dataclass(frozen=True)
class Case:
    name: str
    scope: str
    days: int
    period: Period | None  # None: a page of 100 records
    kind: str | None = None


CASES = [
    Case("report by day, whole tree, 365 days", "qh", 365, "day"),
    Case("report by week, whole tree, 365 days", "qh", 365, "week"),
    Case("report by month, whole tree, 365 days", "qh", 365, "month"),
    Case("report by day, copies only, 365 days", "qh", 365, "day", "copy"),
    Case("report by day, one prefecture, 90 days", "qh/p3", 90, "day"),
    Case("report by month, one town, 365 days", TOWN, 365, "month"),
    Case("records: newest 100, whole tree, 30 days", "qh", 30, None),
    Case("records: newest 100, one town, 30 days", TOWN, 30, None),
]


def rows(n: int, seed: int = 15) -> Iterator[tuple[object, ...]]:
    rng = random.Random(seed)
    purposes = [k for k, _, _ in KINDS]
    weights = [w for _, w, _ in KINDS]
    job_kind = {k: j for k, _, j in KINDS}
    span_s = int((END - START).total_seconds())
    for i in range(n):
        purpose = rng.choices(purposes, weights)[0]
        town = rng.choice(TOWNS)
        kind = job_kind[purpose]
        at = START + timedelta(seconds=rng.randrange(span_s))
        sha = f"{rng.getrandbits(256):064x}"
        kept = sha if at > END - timedelta(days=30) else None
        mime = "application/json" if kind == "print_receipt" else "application/pdf"
        device = f"{town.replace('/', '-')}-k{rng.randrange(3)}"
        yield (f"{i:032x}", at, device, town, purpose, kind, rng.randint(1, 6), sha, kept, mime)


def fill(url: str, n: int) -> float:
    """COPY ``n`` records and their daily counts (what the recorder writes with each record,
    :func:`cloud.print_audit_daily.count_in`) and ANALYZE; the seconds it took."""
    began = time.perf_counter()
    totals: dict[tuple[str, date, str], list[int]] = defaultdict(lambda: [0, 0])
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as conn:
        with conn.cursor().copy(f"COPY print_audit ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for r in rows(n):
                copy.write_row(r)
                at, site, purpose, pages = r[1], r[3], r[4], r[6]
                assert isinstance(at, datetime) and isinstance(pages, int)
                for scope in scopes_of(str(site)):
                    cell = totals[(scope, at.astimezone(TZ).date(), str(purpose))]
                    cell[0] += 1
                    cell[1] += pages
        daily = "COPY print_audit_daily (scope, day, purpose, jobs, pages) FROM STDIN"
        with conn.cursor().copy(daily) as copy:
            for (scope, day, purpose), (jobs, pages) in totals.items():
                copy.write_row((scope, day, purpose, jobs, pages))
        conn.execute("ANALYZE print_audit")
        conn.execute("ANALYZE print_audit_daily")
    print(f"daily counts: {len(totals):,} rows for {n:,} records")
    return time.perf_counter() - began


async def time_case(
    sessions: async_sessionmaker[AsyncSession], case: Case, repeat: int
) -> tuple[list[float], int]:
    where = Filter(case.scope, END - timedelta(days=case.days), END, case.kind)
    walls: list[float] = []
    covered = 0
    for _ in range(repeat):
        async with sessions() as s:
            began = time.perf_counter()
            if case.period is None:
                got = await records(s, where, 100)
                covered = len(got)
            else:
                out = await report(s, where, case.period, TZ)
                covered = sum(r.jobs for r in out)
            walls.append((time.perf_counter() - began) * 1000)
    return walls, covered


async def check_and_compare(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The rollup's year equals the records' own count (the report is exact), and how long
    counting the records themselves takes (what the rollup saves)."""
    where = Filter("qh", END - timedelta(days=365), END)
    async with sessions() as s:
        fast = await report(s, where, "day", TZ)
        began = time.perf_counter()
        raw = await _raw_counts(s, where, TZ)
        slow_ms = (time.perf_counter() - began) * 1000
    by_day = sorted((d, p, j, n) for d, p, j, n in raw)
    assert [(r.period, r.purpose, r.jobs, r.pages) for r in fast] == by_day, "rollup differs"
    print(f"check: the rollup's year = the records' own count ({sum(r.jobs for r in fast):,})")
    print(f"for comparison, counting the records themselves (whole tree, year): {slow_ms:.0f} ms")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


async def run(url: str, n: int, repeat: int) -> None:
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
        print(f"filled {n} rows in {await asyncio.to_thread(fill, url, n):.1f} s")
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        async with sessions() as s:
            version = await s.scalar(text("SHOW server_version"))
        print(f"PostgreSQL {version}; Python {platform.python_version()}; {os.cpu_count()} cores")
        print(f"load average before the cases: {os.getloadavg()} (the machine is shared)")
        print("| case | rows covered | median ms | p95 ms | p95 ≤ 1 s |")
        print("|---|---|---|---|---|")
        for case in CASES:
            walls, covered = await time_case(sessions, case, repeat)
            worst = p95(walls)
            ok = "yes" if worst <= 1000 else "**no**"
            print(
                f"| {case.name} | {covered:,} | {statistics.median(walls):.1f} | {worst:.1f} "
                f"| {ok} |"
            )
        await check_and_compare(sessions)
        print(f"load average after: {os.getloadavg()}")
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", required=True, help="a PostgreSQL server's SQLAlchemy URL")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with fresh_postgres(args.postgres, "kf_print_audit_bench") as url:
        asyncio.run(run(url, args.rows, args.repeat))


if __name__ == "__main__":
    main()
