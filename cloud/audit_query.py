"""Reading the audit log: filters, newest first, keyset pages, and the reader's site subtree.

Order is ``(at DESC, id DESC)``; the cursor is the id of the last row of a page (its ``at`` is
looked up by primary key), so a page costs an index range scan however deep the reader pages —
never an OFFSET. Every filter is written so one of the indexes of
:class:`cloud.db.identity.AuditEntry` (``at``, ``actor+at``, ``action+at``, ``site+at``) can
drive it.

Who sees what: a reader sees the rows whose site lies in the reader's subtree. Rows with no
site (logins, refusals, user and token changes) belong to no subtree; only a reader scoped at
the root of a tree (a scope without ``/``, e.g. ``qh``) sees them — a town's auditor cannot see
who logged in across the province.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    false,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from cloud.db.identity import AuditEntry
from cloud.errors import NotFound
from fleet.access import in_scope

#: the largest page a reader may ask for
MAX_PAGE = 500
DEFAULT_PAGE = 50
#: rows per database round trip of an export (each batch in a short session of its own)
EXPORT_BATCH = 1000
#: a filter value ending with this matches every value that begins with the rest
WILDCARD = "*"


def is_root_scope(scope: str) -> bool:
    """Whether ``scope`` is the root of a site tree (sees rows that have no site)."""
    return "/" not in scope


def match_value(value: str) -> tuple[str, bool]:
    """``(text, is_prefix)`` for an actor/action filter: ``user:*`` or ``device.*`` (or the
    bare ``user:`` / ``device.``, which no complete actor or action ends with) is a prefix."""
    if value.endswith(WILDCARD):
        return value[: -len(WILDCARD)], True
    return value, value.endswith((":", "."))


@dataclass(frozen=True)
class AuditFilter:
    """What a reader asked for; None = no condition. ``site`` includes its subtree."""

    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    actor: str | None = None
    action: str | None = None
    site: str | None = None
    result: str | None = None


Col = ColumnElement[Any] | InstrumentedAttribute[Any]

#: a site subtree this shallow (the province, a prefecture) holds a large share of the log;
#: a deeper one (a city, a town, a village) is narrow enough to drive a query by its index
BROAD_DEPTH = 2


def _unindexed(col: InstrumentedAttribute[Any], dialect: str) -> Col:
    """On SQLite, ``+col``: the same value, but no index can drive the condition.

    SQLite plans without statistics (a cloud never runs ANALYZE). Left alone, it drives a
    broad condition (a prefix, the root's subtree) from that column's index and sorts every
    match — most of the log — to return 50 rows; or it drives a narrow town from the time
    index and walks a year of other towns' rows. Marking the columns that must not drive the
    query leaves it the right index. PostgreSQL has statistics: the column as it is."""
    if dialect != "sqlite":
        return col
    return literal_column(f"+{AuditEntry.__tablename__}.{col.key}", type_=col.type)


def _starts_with(col: Col, prefix: str, dialect: str) -> ColumnElement[bool]:
    """``col`` begins with ``prefix``. SQLite: a range (its LIKE ignores case and cannot use
    an index). PostgreSQL: LIKE (a range would be wrong under a linguistic collation),
    escaped, so ``_`` in a site code is not a wildcard."""
    if not prefix:
        return col.is_not(None)
    if dialect == "sqlite":
        if prefix[-1] == chr(0x10FFFF):  # no character above it: compare the beginning
            return and_(col >= prefix, func.substr(col, 1, len(prefix)) == prefix)
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return and_(col >= prefix, col < upper)
    return col.startswith(prefix, autoescape=True)


def subtree_path(scope: str, wanted: str | None) -> str | None:
    """The one subtree the rows must lie in: the asked site within the reader's scope, the
    reader's scope when an ancestor was asked for; None when the two are disjoint."""
    if wanted is None or in_scope(scope, wanted):
        return wanted or scope
    if in_scope(wanted, scope):
        return scope
    return None


def _site_condition(path: str, siteless: bool, narrow: bool, dialect: str) -> ColumnElement[bool]:
    site = AuditEntry.site if narrow else _unindexed(AuditEntry.site, dialect)
    inside = or_(site == path, _starts_with(site, path + "/", dialect))
    return or_(site == "", inside) if siteless else inside


def _text_condition(
    col: InstrumentedAttribute[str], value: str, dialect: str
) -> ColumnElement[bool]:
    text, prefix = match_value(value)
    return _starts_with(_unindexed(col, dialect), text, dialect) if prefix else col == text


def conditions(
    f: AuditFilter, scope: str, dialect: str, after: tuple[datetime, int] | None = None
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of ``f`` for a reader scoped to ``scope``; ``after``: only rows
    older than that (at, id) in the page order."""
    path = subtree_path(scope, f.site)
    if path is None:
        return [false()]  # nothing (and nothing said about what is there)
    narrow = path.count("/") >= BROAD_DEPTH
    siteless = f.site is None and is_root_scope(scope)
    at = _unindexed(AuditEntry.at, dialect) if narrow else AuditEntry.at
    where = [_site_condition(path, siteless, narrow, dialect)]
    if f.since is not None:
        where.append(at >= f.since)
    if f.until is not None:
        where.append(at < f.until)
    if f.actor is not None:
        where.append(_text_condition(AuditEntry.actor, f.actor, dialect))
    if f.action is not None:
        where.append(_text_condition(AuditEntry.action, f.action, dialect))
    if f.result is not None:
        where.append(AuditEntry.result == f.result)
    if after is not None:
        # at <= the cursor's bounds the index range; the OR breaks ties on equal times by id
        where.append(and_(at <= after[0], or_(at < after[0], AuditEntry.id < after[1])))
    return where


async def _cursor_row(s: AsyncSession, cursor: int | None) -> tuple[datetime, int] | None:
    if cursor is None:
        return None
    at = await s.scalar(select(AuditEntry.at).where(AuditEntry.id == cursor))
    if at is None:
        raise NotFound(
            f"cursor {cursor} names no audit row: use the next_cursor of the previous page, "
            "or leave it out to start from the newest row"
        )
    return at, cursor


#: the columns in API and CSV order; rows are read as plain rows, not ORM objects (an export
#: of 100,000 rows spent most of its CPU building and tracking objects it never changes)
COLUMNS = tuple(AuditEntry.__table__.c)


def page_query(where: list[ColumnElement[bool]], limit: int) -> Select[Any]:
    """The SELECT of one page (tests read its query plan)."""
    return (
        select(*COLUMNS)
        .where(*where)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )


@dataclass(frozen=True)
class Page:
    rows: list[Row[Any]]  # attributes as AuditEntry's: row.id, row.at, ...
    #: the id to pass as ``cursor`` for the next page; None: this was the last page
    next_cursor: int | None


async def page(
    s: AsyncSession,
    f: AuditFilter,
    scope: str,
    limit: int = DEFAULT_PAGE,
    cursor: int | None = None,
) -> Page:
    """One page of rows, newest first (``limit`` is clamped to 1..:data:`MAX_PAGE`)."""
    return await _page(s, f, scope, max(1, min(limit, MAX_PAGE)), cursor)


async def _page(
    s: AsyncSession, f: AuditFilter, scope: str, limit: int, cursor: int | None
) -> Page:
    where = conditions(f, scope, s.get_bind().dialect.name, await _cursor_row(s, cursor))
    rows = list((await s.execute(page_query(where, limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more and rows else None)


async def count_upto(s: AsyncSession, f: AuditFilter, scope: str, cap: int) -> int:
    """How many rows match, counting no further than ``cap`` (bounded work on a huge log)."""
    dialect = s.get_bind().dialect.name
    sub = select(AuditEntry.id).where(*conditions(f, scope, dialect)).limit(cap).subquery()
    return int(await s.scalar(select(func.count()).select_from(sub)) or 0)


async def stream(
    sessions: async_sessionmaker[AsyncSession], f: AuditFilter, scope: str, cap: int
) -> AsyncIterator[Row[Any]]:
    """Every matching row newest first, at most ``cap``, in batches each read in a short
    session (SQLite has one connection: an export must not hold it while the client reads)."""
    cursor: int | None = None
    sent = 0
    while sent < cap:
        async with sessions() as s:
            got = await _page(s, f, scope, min(EXPORT_BATCH, cap - sent), cursor)
        for row in got.rows:
            yield row
        sent += len(got.rows)
        if got.next_cursor is None:
            return
        cursor = got.next_cursor


def row_dict(row: Row[Any]) -> dict[str, Any]:
    """The row as plain values, in column order (API and CSV share them)."""
    return dict(row._mapping)
