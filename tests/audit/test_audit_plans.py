"""The common audit queries stay fast on a large SQLite log: each is driven by an index in
newest-first order and stops after a page, never sorting most of the log to return 50 rows.

SQLite plans without statistics (the cloud never runs ANALYZE), so the plan is what it will be
on a million rows; the figures are in docs/benchmarks.md ("Audit log queries")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit_query as q
from tests.audit.audit_db import migrated
from tests.faults.databases import SQLITE

CASES = {
    "newest page, root reader": (q.AuditFilter(), "qh", "ix_audit_at"),
    "result denied": (q.AuditFilter(result="denied"), "qh", "ix_audit_at"),
    "actor prefix": (q.AuditFilter(actor="user:"), "qh", "ix_audit_at"),
    "action prefix": (q.AuditFilter(action="device."), "qh", "ix_audit_at"),
    "a prefecture": (q.AuditFilter(site="qh/hx"), "qh", "ix_audit_at"),
    "actor exact": (q.AuditFilter(actor="user:alice"), "qh", "ix_audit_actor_at"),
    "action exact": (q.AuditFilter(action="device.revoke"), "qh", "ix_audit_action_at"),
    "one day": (q.AuditFilter(since=datetime(2026, 12, 1, tzinfo=UTC)), "qh", "ix_audit_at"),
}


@pytest.fixture
async def sqlite_sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """SQLite only: PostgreSQL plans from statistics (see the benchmark for its figures)."""
    async with migrated(SQLITE, tmp_path, "plans", None) as engine:
        yield async_sessionmaker(engine)


@pytest.mark.parametrize("name", CASES)
async def test_plan_uses_an_index_in_order(
    sqlite_sessions: async_sessionmaker[AsyncSession], name: str
) -> None:
    f, scope, index = CASES[name]
    async with sqlite_sessions() as s:
        stmt = q.page_query(q.conditions(f, scope, "sqlite"), q.DEFAULT_PAGE + 1)
        sql = str(stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
        plan = [str(r[-1]) for r in await s.execute(text("EXPLAIN QUERY PLAN " + sql))]
    assert not any("TEMP B-TREE" in step for step in plan), plan
    assert any(f"USING INDEX {index}" in step for step in plan), plan
