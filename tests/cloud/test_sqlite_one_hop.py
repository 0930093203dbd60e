"""Each SQLite statement is one hand-off to aiosqlite's thread (issue 17), and its results are
the driver's: rows, rowcount, RETURNING, lastrowid, executemany, errors, rollbacks, and
streamed results (which keep SQLAlchemy's own cursor). Ending a transaction in which SQLite
has nothing open is no hand-off; ending one that wrote still is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from cloud.db.session import make_engine, make_sessions
from cloud.db.sqlite_driver import OneHopConnection


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
            )
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def hand_offs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function run on aiosqlite's thread."""
    calls: list[str] = []
    real: Any = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kw: Any) -> Any:
        calls.append(getattr(fn, "__name__", repr(fn)))
        return await real(self, fn, *args, **kw)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return calls


async def test_a_statement_is_one_hand_off(engine: AsyncEngine, hand_offs: list[str]) -> None:
    async with engine.connect() as conn:  # the pooled connection is made before counting
        await conn.execute(text("SELECT 1"))
        await conn.commit()
        hand_offs.clear()
        await conn.execute(text("INSERT INTO t (name) VALUES ('a'), ('b')"))
        rows = (await conn.execute(text("SELECT id, name FROM t ORDER BY id"))).all()
        assert hand_offs == ["_run", "_run"]
        await conn.commit()
    assert [tuple(r) for r in rows] == [(1, "a"), (2, "b")]
    assert hand_offs == ["_run", "_run", "commit"]


async def test_rowcount_lastrowid_and_returning(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert inserted.lastrowid == 1
        await conn.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": "b"}, {"name": "c"}]
        )
        updated = await conn.execute(text("UPDATE t SET name = name || '!' WHERE id > 1"))
        assert updated.rowcount == 2
        returned = await conn.execute(
            text("DELETE FROM t WHERE id >= 2 RETURNING id, name"),
        )
        assert sorted(tuple(r) for r in returned) == [(2, "b!"), (3, "c!")]
        none = await conn.execute(text("SELECT id FROM t WHERE id > 99"))
        assert none.all() == []
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 1


async def test_an_error_rolls_the_transaction_back(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (name) VALUES ('x')"))
            await conn.execute(text("INSERT INTO t (name) VALUES ('x')"))
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0


async def test_streamed_results_still_stream(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": f"n{i}"} for i in range(5)]
        )
    async with engine.connect() as conn:
        result = await conn.stream(text("SELECT name FROM t ORDER BY id"))
        names = [row.name async for row in result]
    assert names == [f"n{i}" for i in range(5)]


async def test_ending_a_read_only_transaction_is_no_hand_off(
    engine: AsyncEngine, hand_offs: list[str]
) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        await conn.commit()
    hand_offs.clear()
    async with make_sessions(engine)() as s:  # the long-poll's kind of session
        assert (await s.execute(text("SELECT name FROM t"))).scalar() == "a"
    async with engine.begin() as conn:
        await conn.execute(text("SELECT count(*) FROM t"))
    assert hand_offs == ["_run", "_run"]


async def test_a_write_is_still_committed_and_rolled_back(
    engine: AsyncEngine, hand_offs: list[str]
) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        hand_offs.clear()
        await conn.execute(text("INSERT INTO t (name) VALUES ('kept')"))
        await conn.commit()
        await conn.execute(text("INSERT INTO t (name) VALUES ('dropped')"))
        await conn.rollback()
        names = (await conn.execute(text("SELECT name FROM t"))).scalars().all()
    assert names == ["kept"]
    assert hand_offs == ["_run", "commit", "_run", "rollback", "_run"]


async def test_a_statement_on_its_way_keeps_the_rollback(
    engine: AsyncEngine, hand_offs: list[str]
) -> None:
    """A statement handed to the thread may still open a transaction there (its caller was
    canceled meanwhile): SQLite's flag says nothing yet, so the rollback is handed off too."""

    def end_twice(sync_conn: Connection) -> None:
        adapted = sync_conn.connection.dbapi_connection
        assert isinstance(adapted, OneHopConnection)
        adapted.sent()  # on its way, not run yet
        adapted.rollback()
        adapted.landed()
        adapted.rollback()  # nothing pending, no transaction: nothing to do

    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        hand_offs.clear()
        await conn.run_sync(end_twice)
    assert hand_offs == ["rollback"]
