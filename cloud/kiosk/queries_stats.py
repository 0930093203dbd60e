"""Usage of the convenience queries over a period, per site subtree: counts by query and
outcome, and the mean duration. Rows carry no person, so neither does this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.kiosk.queries_tables import KioskQueryUsage


@dataclass(frozen=True, slots=True)
class UsageCount:
    query: str
    department: str
    outcome: str
    count: int
    avg_ms: int


async def usage(s: AsyncSession, scope: str, start: datetime, end: datetime) -> list[UsageCount]:
    """Counts in ``[start, end)`` at sites in the subtree ``scope``."""
    t = KioskQueryUsage
    in_scope = (t.site == scope) | t.site.startswith(scope + "/", autoescape=True)
    stmt = (
        select(t.query, t.department, t.outcome, func.count(), func.avg(t.duration_ms))
        .where(in_scope, t.at >= start, t.at < end)
        .group_by(t.query, t.department, t.outcome)
        .order_by(t.query, t.outcome)
    )
    rows = (await s.execute(stmt)).all()
    return [UsageCount(q, d, o, int(n), int(avg or 0)) for q, d, o, n, avg in rows]
