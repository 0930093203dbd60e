"""Reading the record of notifications: filters, the reader's site subtree, a cursor page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.audit_query import subtree_path
from cloud.notify.rows import NotifyDelivery

D = NotifyDelivery
DEFAULT_PAGE = 50
MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class NoticeFilter:
    alert: int | None = None
    channel: str | None = None
    state: str | None = None
    kind: str | None = None
    site: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[NotifyDelivery]
    next_cursor: int | None


def _in_subtree(path: str) -> ColumnElement[bool]:
    escaped = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(D.site == path, D.site.like(f"{escaped}/%", escape="\\"))


def conditions(f: NoticeFilter, scope: str) -> list[ColumnElement[bool]]:
    path = subtree_path(scope, f.site)
    if path is None:
        return [false()]  # disjoint from the reader's scope: nothing
    where = [_in_subtree(path)]
    if f.alert is not None:
        where.append(D.alert_id == f.alert)
    if f.channel is not None:
        where.append(D.channel == f.channel)
    if f.state is not None:
        where.append(D.state == f.state)
    if f.kind is not None:
        where.append(D.kind == f.kind)
    return where


async def page(
    s: AsyncSession, f: NoticeFilter, scope: str, limit: int, cursor: int | None
) -> Page:
    """Newest first; ``cursor``: only rows older than that id."""
    where = conditions(f, scope)
    if cursor is not None:
        where.append(D.id < cursor)
    stmt = select(D).where(*where).order_by(D.id.desc()).limit(limit + 1)
    rows = list((await s.scalars(stmt)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more and rows else None)


def row_dict(r: NotifyDelivery) -> dict[str, Any]:
    return {
        "id": r.id,
        "key": r.notice_key,
        "channel": r.channel,
        "kind": r.kind,
        "alert_id": r.alert_id,
        "rule_name": r.rule_name,
        "severity": r.severity,
        "subject": r.subject,
        "site": r.site,
        "summary": r.summary,
        "state": r.state,
        "attempts": r.attempts,
        "last_error": r.last_error,
        "next_at": r.next_at,
        "created_at": r.created_at,
        "delivered_at": r.delivered_at,
    }
