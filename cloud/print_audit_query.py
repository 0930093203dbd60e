"""Reading the print/copy audit: the records of a period in a site subtree, and the report by
day, week or month and kind (purpose).

The report reads days (whole ones from the rollup, partial ones from the records, in the
halls' time zone) and rolls days into weeks and months here: a year is at most 366 × 10 rows,
so the rolling is free.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.print_audit_daily import daily_counts, midnight, whole_days
from cloud.print_audit_tables import PrintAuditRow

Period = Literal["day", "week", "month"]
#: rows per read when exporting (keyset pages by id)
EXPORT_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Filter:
    """Which rows: ``[start, end)`` at sites in the subtree ``scope``, optionally one kind
    and one device."""

    scope: str
    start: datetime
    end: datetime
    purpose: str | None = None
    device: str | None = None

    def where(self) -> list[ColumnElement[bool]]:
        t = PrintAuditRow
        out = [
            (t.site == self.scope) | t.site.startswith(self.scope + "/", autoescape=True),
            t.at >= self.start,
            t.at < self.end,
        ]
        if self.purpose is not None:
            out.append(t.purpose == self.purpose)
        if self.device is not None:
            out.append(t.device_id == self.device)
        return out


@dataclass(frozen=True, slots=True)
class ReportRow:
    #: the first day of the day, week (Monday) or month, in the report's time zone
    period: date
    purpose: str
    jobs: int
    pages: int


async def records(
    s: AsyncSession, where: Filter, limit: int, before_id: int | None = None
) -> list[PrintAuditRow]:
    """Newest first; ``before_id`` continues after the last row of the previous page."""
    stmt = select(PrintAuditRow).where(*where.where())
    if before_id is not None:
        stmt = stmt.where(PrintAuditRow.id < before_id)
    stmt = stmt.order_by(PrintAuditRow.id.desc()).limit(limit)
    return list(await s.scalars(stmt))


async def count(s: AsyncSession, where: Filter) -> int:
    return int(await s.scalar(select(func.count()).where(*where.where())) or 0)


async def all_records(s: AsyncSession, where: Filter) -> AsyncIterator[PrintAuditRow]:
    """Every row of ``where``, oldest first, read :data:`EXPORT_CHUNK` at a time."""
    after = 0
    while True:
        stmt = (
            select(PrintAuditRow)
            .where(*where.where(), PrintAuditRow.id > after)
            .order_by(PrintAuditRow.id)
            .limit(EXPORT_CHUNK)
        )
        chunk = list(await s.scalars(stmt))
        for row in chunk:
            yield row
        if len(chunk) < EXPORT_CHUNK:
            return
        after = chunk[-1].id
        s.expunge_all()


def _local_day(dialect: str, tz: ZoneInfo, at: datetime) -> Any:
    """The SQL of ``at``'s day in ``tz`` (PostgreSQL by the zone's name; SQLite by its offset
    at ``at``, which is exact for zones without daylight saving, as China's)."""
    t = PrintAuditRow
    if dialect == "postgresql":
        return func.date(func.timezone(tz.key, t.at))
    offset = at.astimezone(tz).utcoffset() or timedelta()
    return func.date(t.at, f"{int(offset.total_seconds() // 60):+d} minutes")


def period_start(day: date, period: Period) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


async def report(s: AsyncSession, where: Filter, period: Period, tz: ZoneInfo) -> list[ReportRow]:
    """Jobs and pages per period and kind, oldest period first: whole local days from the
    rollup (:mod:`cloud.print_audit_daily`), the partial days at the edges (and any query by
    device, which the rollup does not know) from the records."""
    counts: list[tuple[date, str, int, int]] = []
    first, last = whole_days(where.start, where.end, tz)
    if where.device is not None or first >= last:
        counts = await _raw_counts(s, where, tz)
    else:
        counts = await daily_counts(s, where.scope, first, last, where.purpose, period)
        for edge in (
            replace(where, end=min(where.end, midnight(first, tz))),
            replace(where, start=max(where.start, midnight(last, tz))),
        ):
            if edge.start < edge.end:
                counts += await _raw_counts(s, edge, tz)
    rolled: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    for the_day, purpose, jobs, pages in counts:
        cell = rolled[(period_start(the_day, period), purpose)]
        cell[0] += jobs
        cell[1] += pages
    return [
        ReportRow(start, purpose, jobs, pages)
        for (start, purpose), (jobs, pages) in sorted(rolled.items())
    ]


async def _raw_counts(
    s: AsyncSession, where: Filter, tz: ZoneInfo
) -> list[tuple[date, str, int, int]]:
    """(day, purpose, jobs, pages) counted from the records themselves."""
    dialect = (await s.connection()).dialect.name
    day = _local_day(dialect, tz, where.end).label("day")
    t = PrintAuditRow
    stmt = (
        select(day, t.purpose, func.count(), func.sum(t.pages))
        .where(*where.where())
        .group_by(day, t.purpose)
    )
    out = []
    for raw_day, purpose, jobs, pages in (await s.execute(stmt)).all():
        the_day = raw_day if isinstance(raw_day, date) else date.fromisoformat(str(raw_day))
        out.append((the_day, purpose, int(jobs), int(pages or 0)))
    return out
