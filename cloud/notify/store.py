"""The delivery rows as a work queue: record, claim with a lease, finish.

Claiming is safe with several cloud instances on one PostgreSQL: the due rows are selected
``FOR UPDATE SKIP LOCKED`` (an instance never waits on, nor takes, a row another is claiming)
and the lease is set only where none is held, so a row is sent by one instance at a time. A
lease that runs out (its instance died mid-send) makes the row due again: delivery is at
least once, and the notice's key lets a receiver drop the repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.notify.model import Notice
from cloud.notify.payload import to_json
from cloud.notify.rows import DeliveryState, NotifyDelivery

D = NotifyDelivery


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    channel: str
    payload: dict[str, Any]
    attempts: int  # finished attempts before this one


def _row(notice: Notice, channel: str, now: datetime, error: str) -> dict[str, Any]:
    return {
        "notice_key": notice.key[:200],
        "channel": channel[:64],
        "kind": notice.kind.value,
        "alert_id": notice.alert_id,
        "rule_name": notice.rule_name[:128],
        "severity": notice.severity.value,
        "subject": notice.subject[:200],
        "site": notice.site[:200],
        "summary": notice.summary[:500],
        "notice": to_json(notice),
        "state": DeliveryState.DEAD if error else DeliveryState.PENDING,
        "attempts": 0,
        "next_at": now,
        "last_error": error,
        "created_at": now,
    }


async def record(s: AsyncSession, notice: Notice, channels: dict[str, str], now: datetime) -> None:
    """One row per channel (name → "" or why it cannot be sent); a (key, channel) recorded
    before is left as it is."""
    if not channels:
        return
    rows = [_row(notice, name, now, error) for name, error in channels.items()]
    dialect = s.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(NotifyDelivery).values(rows)
    await s.execute(stmt.on_conflict_do_nothing(index_elements=["notice_key", "channel"]))


def _free(now: datetime) -> Any:
    return or_(NotifyDelivery.lease_until.is_(None), NotifyDelivery.lease_until < now)


async def claim(
    s: AsyncSession, owner: str, now: datetime, lease_s: float, limit: int
) -> list[Claimed]:
    """Lease up to ``limit`` due rows to ``owner`` (commit afterwards)."""
    due = (
        select(NotifyDelivery.id)
        .where(NotifyDelivery.state == DeliveryState.PENDING)
        .where(NotifyDelivery.next_at <= now)
        .where(_free(now))
        .order_by(NotifyDelivery.next_at, NotifyDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list((await s.scalars(due)).all())
    if not ids:
        return []
    until = now + timedelta(seconds=lease_s)
    await s.execute(
        update(NotifyDelivery)
        .where(NotifyDelivery.id.in_(ids), _free(now))
        .values(lease_owner=owner, lease_until=until)
    )
    got = await s.execute(
        select(
            NotifyDelivery.id,
            NotifyDelivery.channel,
            NotifyDelivery.notice,
            NotifyDelivery.attempts,
        ).where(
            NotifyDelivery.id.in_(ids),
            NotifyDelivery.lease_owner == owner,
            NotifyDelivery.lease_until == until,
        )
    )
    return [Claimed(r.id, r.channel, r.notice, r.attempts) for r in got]


async def finish(
    s: AsyncSession,
    claimed: Claimed,
    owner: str,
    now: datetime,
    *,
    error: str = "",
    retry_at: datetime | None = None,
) -> bool:
    """Record the attempt: delivered (no error), retry at ``retry_at``, or dead (an error and
    no retry). False when the lease was lost (another instance has the row now)."""
    values: dict[str, Any] = {
        "attempts": claimed.attempts + 1,
        "lease_owner": None,
        "lease_until": None,
        "last_error": error[:500],
    }
    if not error:
        values |= {"state": DeliveryState.DELIVERED, "delivered_at": now}
    elif retry_at is not None:
        values |= {"state": DeliveryState.PENDING, "next_at": retry_at}
    else:
        values |= {"state": DeliveryState.DEAD}
    result = await s.execute(
        update(NotifyDelivery)
        .where(NotifyDelivery.id == claimed.id, NotifyDelivery.lease_owner == owner)
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


async def next_due(s: AsyncSession, now: datetime) -> datetime | None:
    """When a pending row can next be claimed: its ``next_at``, or for a row another
    instance is sending, when that lease runs out (never "now" for a leased row, or the
    worker would spin while another instance holds it)."""
    free = await s.scalar(
        select(func.min(NotifyDelivery.next_at)).where(
            NotifyDelivery.state == DeliveryState.PENDING, _free(now)
        )
    )
    leased = await s.scalar(
        select(func.min(NotifyDelivery.lease_until)).where(
            NotifyDelivery.state == DeliveryState.PENDING, NotifyDelivery.lease_until >= now
        )
    )
    times = [t for t in (free, leased) if t is not None]
    return min(times) if times else None
