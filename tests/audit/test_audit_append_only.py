"""The audit log is append-only in the database itself, on SQLite and on PostgreSQL: an UPDATE
or a DELETE — through the ORM, through SQL text, or through the bare driver — fails with the
trigger's message and changes nothing. Downgrading migration 0006 removes the triggers (and
PostgreSQL's trigger function) so the migration can be applied again."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
import pytest
from alembic import command
from sqlalchemy import Connection, delete, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db import migrate
from cloud.db.identity import AuditEntry
from tests.audit.audit_db import Row, write_rows

APPEND_ONLY = "audit_log is append-only: rows cannot be changed or deleted"
Sessions = async_sessionmaker[AsyncSession]


async def _unchanged(sessions: Sessions, row_id: int) -> None:
    async with sessions() as s:
        row = await s.get(AuditEntry, row_id)
        assert row is not None and row.message == "original"


async def test_orm_update_and_delete_fail(sessions: Sessions) -> None:
    (row_id,) = await write_rows(sessions, [Row("user:a", "auth.login", message="original")])
    async with sessions() as s:
        row = await s.get(AuditEntry, row_id)
        assert row is not None
        row.message = "rewritten"
        with pytest.raises(DBAPIError, match=APPEND_ONLY):
            await s.commit()
    async with sessions() as s:
        row = await s.get(AuditEntry, row_id)
        await s.delete(row)
        with pytest.raises(DBAPIError, match=APPEND_ONLY):
            await s.commit()
    for stmt in (
        update(AuditEntry).values(message="bulk"),
        delete(AuditEntry).where(AuditEntry.id == row_id),
    ):
        async with sessions() as s:
            with pytest.raises(DBAPIError, match=APPEND_ONLY):
                await s.execute(stmt)
    await _unchanged(sessions, row_id)


async def test_sql_text_update_and_delete_fail(sessions: Sessions) -> None:
    (row_id,) = await write_rows(sessions, [Row("user:a", "auth.login", message="original")])
    for sql in ("UPDATE audit_log SET message = 'x'", "DELETE FROM audit_log"):
        async with sessions() as s:
            with pytest.raises(DBAPIError, match=APPEND_ONLY):
                await s.execute(text(sql))
    await _unchanged(sessions, row_id)


def _driver_attempts(url: str) -> list[str]:
    """Each statement's error through the database's own driver, outside SQLAlchemy."""
    errors: list[str] = []
    parsed = make_url(url)
    for sql in ("UPDATE audit_log SET actor = 'user:nobody'", "DELETE FROM audit_log"):
        try:
            if parsed.get_backend_name() == "sqlite":
                with sqlite3.connect(str(parsed.database)) as conn:
                    conn.execute(sql)
            else:
                libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
                with psycopg.connect(libpq) as pg:
                    pg.execute(sql)
        except (sqlite3.DatabaseError, psycopg.Error) as exc:
            errors.append(str(exc))
    return errors


async def test_bare_driver_update_and_delete_fail(sessions: Sessions) -> None:
    (row_id,) = await write_rows(sessions, [Row("user:a", "auth.login", message="original")])
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    errors = _driver_attempts(url)
    assert len(errors) == 2 and all(APPEND_ONLY in e for e in errors), errors
    await _unchanged(sessions, row_id)


def _objects(conn: Connection) -> set[str]:
    """The append-only machinery present: trigger (and PostgreSQL function) names."""
    if conn.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = (
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal UNION "
            "SELECT proname FROM pg_proc WHERE proname = 'kfleet_audit_append_only'"
        )
    return {str(r[0]) for r in conn.execute(text(sql))}


def _migrate(conn: Connection, how: Any, revision: str) -> set[str]:
    cfg = migrate.alembic_config()
    cfg.attributes["connection"] = conn
    how(cfg, revision)
    return _objects(conn)


async def test_downgrade_removes_the_triggers_and_upgrade_restores_them(
    sessions: Sessions,
) -> None:
    engine = sessions.kw["bind"]
    async with engine.begin() as conn:
        before = await conn.run_sync(_objects)
        down = await conn.run_sync(_migrate, command.downgrade, "0005")
        again = await conn.run_sync(_migrate, command.upgrade, "0006")
    assert any("audit_log" in name for name in before), before
    assert down == set()
    assert again == before
    (row_id,) = await write_rows(sessions, [Row("user:a", "auth.login", message="original")])
    async with sessions() as s:
        with pytest.raises(DBAPIError, match=APPEND_ONLY):
            await s.execute(text("DELETE FROM audit_log"))
    await _unchanged(sessions, row_id)
