"""``hall_ratings`` as the forwarder's work queue: claim due rows, record each outcome.

A claim is a conditional UPDATE: it moves ``fwd_next_at`` to the end of a lease only where the
row is still pending and due, so two cloud instances never both take a row within a lease
(PostgreSQL also skips rows another instance is locking). The lease's end is the claim's
token: a retry is recorded only if no other instance has taken the row since. A rating sent
twice (the instance died after the platform took it, before recording it) is harmless: the
platform answers a repeated ``sourceId`` with the same ``ratingId``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.hall import HallRating
from cloud.db.models import Site

R = HallRating
PENDING, SENT, REFUSED, SKIP = "pending", "sent", "refused", "skip"


@dataclass(frozen=True, slots=True)
class Claimed:
    row: dict[str, Any]
    site_path: str
    site_name: str
    lease_until: datetime

    @property
    def id(self) -> int:
        return int(self.row["id"])


def _due(now: datetime) -> Any:
    return (R.fwd_state == PENDING) & or_(R.fwd_next_at.is_(None), R.fwd_next_at <= now)


async def claim(s: AsyncSession, now: datetime, lease_s: float, limit: int) -> list[Claimed]:
    """Lease up to ``limit`` due rows (oldest first) and count the attempt; commit after."""
    return await take(s, await due_ids(s, now, limit), now, lease_s)


async def due_ids(s: AsyncSession, now: datetime, limit: int) -> list[int]:
    due = (
        select(R.id)
        .where(_due(now))
        .order_by(R.rated_at, R.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await s.scalars(due)).all())


async def take(s: AsyncSession, ids: list[int], now: datetime, lease_s: float) -> list[Claimed]:
    """Lease those of ``ids`` still due: another instance may have taken some since it read
    them, and the condition in the UPDATE (not the earlier read) decides."""
    if not ids:
        return []
    until = now + timedelta(seconds=lease_s)
    await s.execute(
        update(R)
        .where(R.id.in_(ids), _due(now))
        .values(fwd_next_at=until, fwd_attempts=R.fwd_attempts + 1)
    )
    got = await s.execute(
        select(R, Site.path, Site.name)
        .join(Site, Site.id == R.site_id)
        .where(R.id.in_(ids), R.fwd_state == PENDING, R.fwd_next_at == until)
    )
    return [Claimed(_columns(r), path, name, until) for r, path, name in got.all()]


def _columns(r: HallRating) -> dict[str, Any]:
    return {c.key: getattr(r, c.key) for c in R.__table__.columns}


async def mark_sent(s: AsyncSession, rating_id: int, ref: str) -> bool:
    """Sent with the platform's id; also when another instance has re-claimed the row (the
    platform gave it the same id)."""
    result = await s.execute(
        update(R)
        .where(R.id == rating_id, R.fwd_state == PENDING)
        .values(fwd_state=SENT, fwd_ref=ref[:64], fwd_error="", fwd_next_at=None)
    )
    return bool(getattr(result, "rowcount", 0))


async def mark(
    s: AsyncSession, c: Claimed, state: str, error: str, next_at: datetime | None
) -> bool:
    """Refused / skipped (``next_at`` None) or pending again at ``next_at``; only while our
    lease holds."""
    result = await s.execute(
        update(R)
        .where(R.id == c.id, R.fwd_state == PENDING, R.fwd_next_at == c.lease_until)
        .values(fwd_state=state, fwd_error=error[:500], fwd_next_at=next_at)
    )
    return bool(getattr(result, "rowcount", 0))


async def wait_s(s: AsyncSession, now: datetime, cap_s: float) -> float:
    """Seconds until the earliest pending row comes due (at most ``cap_s``)."""
    nulls = await s.scalar(
        select(func.count()).where(R.fwd_state == PENDING, R.fwd_next_at.is_(None))
    )
    if nulls:
        return 0.0
    found: datetime | None = await s.scalar(
        select(func.min(R.fwd_next_at)).where(R.fwd_state == PENDING)
    )
    if found is None:
        return cap_s
    return max(0.0, min(cap_s, (found - now).total_seconds()))
