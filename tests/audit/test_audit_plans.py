"""The common audit queries stay fast on a large SQLite log: each is driven by an index in
newest-first order and stops after a page, never sorting most of the log to return 50 rows.

SQLite plans without statistics (the cloud never runs ANALYZE), so the plan is what it will be
on a million rows; the figures are in docs/benchmarks.md ("Audit log queries")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit_query as q
from tests.audit.audit_db import migrated
from tests.faults.databases import SQLITE

TOWN = "qh/hx/golmud/hhl"
DAY1 = datetime(2026, 12, 1, tzinfo=UTC)
#: name: (filter, reader's scope, cursor row (at, id) or None, the index that must drive it)
CASES = {
    "newest page, root reader": (q.AuditFilter(), "qh", None, "ix_audit_at"),
    "result denied": (q.AuditFilter(result="denied"), "qh", None, "ix_audit_at"),
    "actor prefix": (q.AuditFilter(actor="user:"), "qh", None, "ix_audit_at"),
    "action prefix": (q.AuditFilter(action="device."), "qh", None, "ix_audit_at"),
    "a prefecture": (q.AuditFilter(site="qh/hx"), "qh", None, "ix_audit_at"),
    "actor exact": (q.AuditFilter(actor="user:alice"), "qh", None, "ix_audit_actor_at"),
    "action exact": (q.AuditFilter(action="device.revoke"), "qh", None, "ix_audit_action_at"),
    "one day": (q.AuditFilter(since=DAY1), "qh", None, "ix_audit_at"),
    "deep page": (q.AuditFilter(), "qh", (DAY1, 10_000), "ix_audit_at"),
}
#: a narrow subtree drives the query by its site index (sorting only that town's rows), not
#: by the time index through a year of every other town's rows
NARROW = {
    "town auditor": (q.AuditFilter(), TOWN, None, "ix_audit_site_at"),
    "town auditor, 90 days, deep page": (
        q.AuditFilter(action="device.", since=DAY1 - timedelta(days=90)),
        TOWN,
        (DAY1, 10_000),
        "ix_audit_site_at",
    ),
    "a town asked for": (q.AuditFilter(site=TOWN, until=DAY1), "qh", None, "ix_audit_site_at"),
}


@pytest.fixture
async def sqlite_sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """SQLite only: PostgreSQL plans from statistics (see the benchmark for its figures)."""
    async with migrated(SQLITE, tmp_path, "plans", None) as engine:
        yield async_sessionmaker(engine)


Case = tuple[q.AuditFilter, str, tuple[datetime, int] | None, str]


async def plan_of(sessions: async_sessionmaker[AsyncSession], case: Case) -> list[str]:
    f, scope, after, _ = case
    stmt = q.page_query(q.conditions(f, scope, "sqlite", after), q.DEFAULT_PAGE + 1)
    sql = str(stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    async with sessions() as s:
        return [str(r[-1]) for r in await s.execute(text("EXPLAIN QUERY PLAN " + sql))]


@pytest.mark.parametrize("name", CASES)
async def test_broad_queries_walk_an_index_newest_first(
    sqlite_sessions: async_sessionmaker[AsyncSession], name: str
) -> None:
    plan = await plan_of(sqlite_sessions, CASES[name])
    assert not any("TEMP B-TREE" in step for step in plan), plan
    assert any(f"USING INDEX {CASES[name][3]}" in step for step in plan), plan


@pytest.mark.parametrize("name", NARROW)
async def test_narrow_subtrees_are_driven_by_the_site_index(
    sqlite_sessions: async_sessionmaker[AsyncSession], name: str
) -> None:
    plan = await plan_of(sqlite_sessions, NARROW[name])
    assert not any("ix_audit_at" in step for step in plan), plan
    assert any(f"USING INDEX {NARROW[name][3]}" in step for step in plan), plan
