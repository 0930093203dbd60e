"""The tests' migrated template (tests/migrated_template.py): a new SQLite database starts as
a copy that is exactly what the migrations build, and a database that exists is never
replaced by it."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from cloud.db.session import make_engine
from tests.cloud.test_migrations_match_models import _differences
from tests.migrated_template import MigratedTemplate


@pytest.fixture
async def template() -> AsyncIterator[MigratedTemplate]:
    made = MigratedTemplate()
    yield made
    made.remove()


async def test_a_new_database_is_the_migrated_schema_at_the_head(
    template: MigratedTemplate, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'new.db'}")
    try:
        await template.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
            heads = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
            journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
    finally:
        await engine.dispose()
    assert len(heads) == 1 and heads[0][0].startswith("0")
    assert journal == "wal"


async def test_an_existing_database_is_migrated_not_replaced(
    template: MigratedTemplate, tmp_path: Path
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE kept (n INTEGER)")
        conn.execute("INSERT INTO kept VALUES (7)")
    conn.close()
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await template.upgrade(engine)
        async with engine.connect() as c:
            assert (await c.execute(text("SELECT n FROM kept"))).scalar() == 7
            assert await c.run_sync(_differences) != []  # a table the models do not know
    finally:
        await engine.dispose()


async def test_a_left_over_wal_makes_a_file_not_new(
    template: MigratedTemplate, tmp_path: Path
) -> None:
    from tests.migrated_template import new_sqlite_file

    path = tmp_path / "k.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        assert new_sqlite_file(engine) == path
        path.with_name("k.db-wal").write_bytes(b"")
        assert new_sqlite_file(engine) is None
    finally:
        await engine.dispose()
