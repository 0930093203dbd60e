"""The reports' rollup (:class:`~cloud.print_audit_tables.PrintAuditDaily`): each record adds
one job and its pages to its local day and kind at its site and at every site above it.

The report then reads whole local days from the rollup (one scope's rows: at most 366 × 10
a year) and only the partial days at the edges of a period from the records themselves, so
its answer is exact for any ``[start, end)`` and its cost does not grow with the audit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.print_audit_tables import PrintAuditDaily, PrintAuditRow


def scopes_of(site: str) -> list[str]:
    """``qh/hx/golmud`` → ``["qh", "qh/hx", "qh/hx/golmud"]`` (root first: a fixed lock order)."""
    parts = site.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


async def count_in(s: AsyncSession, rows: Iterable[PrintAuditRow], tz: ZoneInfo) -> None:
    """Add ``rows`` to the rollup, in the caller's transaction."""
    totals: dict[tuple[str, date, str], list[int]] = {}
    for row in rows:
        day = row.at.astimezone(tz).date()
        for scope in scopes_of(row.site):
            cell = totals.setdefault((scope, day, row.purpose), [0, 0])
            cell[0] += 1
            cell[1] += row.pages
    if not totals:
        return
    values = [
        {"scope": scope, "day": day, "purpose": purpose, "jobs": jobs, "pages": pages}
        for (scope, day, purpose), (jobs, pages) in sorted(totals.items())
    ]
    dialect = (await s.connection()).dialect.name
    insert: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(PrintAuditDaily).values(values)
    t = PrintAuditDaily
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.scope, t.day, t.purpose],
        set_={"jobs": t.jobs + stmt.excluded.jobs, "pages": t.pages + stmt.excluded.pages},
    )
    await s.execute(stmt)


def whole_days(start: datetime, end: datetime, tz: ZoneInfo) -> tuple[date, date]:
    """The local days ``[first, last)`` lying wholly inside ``[start, end)``."""
    first = start.astimezone(tz).date()
    if midnight(first, tz) < start:
        first += timedelta(days=1)
    last = end.astimezone(tz).date()  # its midnight is <= end
    return first, max(first, last)


def midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


async def daily_counts(
    s: AsyncSession, scope: str, first: date, last: date, purpose: str | None, period: str = "day"
) -> list[tuple[date, str, int, int]]:
    """(day, purpose, jobs, pages) of ``scope``'s subtree for the days ``[first, last)``; on
    PostgreSQL already summed by ``period`` (its first day: weeks from Monday, as ISO), so a
    year by month is 120 rows, not 3,650, over the wire."""
    t = PrintAuditDaily
    on_pg = (await s.connection()).dialect.name == "postgresql"
    key: Any = t.day
    if on_pg and period != "day":
        key = func.date(func.date_trunc(period, t.day))
    stmt = (
        select(key.label("p"), t.purpose, func.sum(t.jobs), func.sum(t.pages))
        .where(t.scope == scope, t.day >= first, t.day < last)
        .group_by(key, t.purpose)
    )
    if purpose is not None:
        stmt = stmt.where(t.purpose == purpose)
    out = []
    for d, p, j, n in (await s.execute(stmt)).all():
        the_day = d if isinstance(d, date) else date.fromisoformat(str(d))
        out.append((the_day, p, int(j), int(n)))
    return out


async def total_jobs(s: AsyncSession, scope: str) -> int:
    """All jobs ever counted for ``scope`` (a check for tests and the benchmark)."""
    t = PrintAuditDaily
    return int(await s.scalar(select(func.sum(t.jobs)).where(t.scope == scope)) or 0)
