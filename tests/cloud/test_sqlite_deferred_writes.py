"""Deferred writes on SQLite (issue 17, the ack group commit): a transaction's INSERTs and
UPDATEs go to aiosqlite's thread with its commit, in one hand-off, all or nothing; a marked
UPDATE that changes no row (a stale ``version``) undoes the whole batch, as does a duplicate
key; a rollback drops them; a read after a held write is refused (it would not see it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm.exc import StaleDataError

from cloud.db.session import make_engine
from cloud.db.sqlite_driver import deferred_writes

INSERT = text("INSERT INTO t (name, v) VALUES (:name, 1)")
BUMP = text("UPDATE t SET v = v + 1 WHERE name = :name AND v = :v")


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, v INT)")
            )
            await conn.execute(INSERT, {"name": "old"})
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


async def rows(engine: AsyncEngine) -> list[tuple[str, int]]:
    async with engine.connect() as conn:
        result = await conn.execute(text("SELECT name, v FROM t ORDER BY id"))
        return [(r.name, r.v) for r in result]


async def test_writes_go_with_the_commit_in_one_hand_off(
    engine: AsyncEngine, hand_offs: list[str]
) -> None:
    async with engine.connect() as conn, deferred_writes(conn) as batch:
        assert batch is not None
        async with conn.begin():
            hand_offs.clear()
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 1
            await conn.execute(INSERT, [{"name": "a"}, {"name": "b"}])
            batch.expect_one_row = True
            await conn.execute(BUMP, {"name": "old", "v": 1})
            assert hand_offs == ["_run"]  # the read only
    assert hand_offs == ["_run", "_commit_writes"]
    assert await rows(engine) == [("old", 2), ("a", 1), ("b", 1)]


async def test_a_stale_row_undoes_the_whole_batch(engine: AsyncEngine) -> None:
    with pytest.raises(StaleDataError):
        async with engine.connect() as conn, deferred_writes(conn) as batch:
            assert batch is not None
            async with conn.begin():
                await conn.execute(INSERT, {"name": "a"})
                batch.expect_one_row = True
                await conn.execute(BUMP, {"name": "old", "v": 7})  # v moved on: no row
    assert await rows(engine) == [("old", 1)]


async def test_an_unmarked_update_may_change_no_row(engine: AsyncEngine) -> None:
    async with engine.connect() as conn, deferred_writes(conn), conn.begin():
        await conn.execute(BUMP, {"name": "nobody", "v": 1})
        await conn.execute(INSERT, {"name": "a"})
    assert await rows(engine) == [("old", 1), ("a", 1)]


async def test_a_duplicate_key_fails_the_commit_and_undoes_the_rest(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError):
        async with engine.connect() as conn, deferred_writes(conn), conn.begin():
            await conn.execute(INSERT, {"name": "a"})
            await conn.execute(INSERT, {"name": "old"})
    assert await rows(engine) == [("old", 1)]
    async with engine.begin() as conn:  # the connection is sound afterwards
        await conn.execute(INSERT, {"name": "b"})
    assert await rows(engine) == [("old", 1), ("b", 1)]


async def test_a_rollback_drops_the_held_writes(engine: AsyncEngine, hand_offs: list[str]) -> None:
    async with engine.connect() as conn, deferred_writes(conn):
        trans = await conn.begin()
        await conn.execute(INSERT, {"name": "a"})
        hand_offs.clear()
        await trans.rollback()
        assert hand_offs == []  # nothing was sent, so nothing to undo on the thread
    assert await rows(engine) == [("old", 1)]


async def test_a_read_after_a_held_write_is_refused(engine: AsyncEngine) -> None:
    with pytest.raises(RuntimeError, match="would not see"):
        async with engine.connect() as conn, deferred_writes(conn), conn.begin():
            await conn.execute(INSERT, {"name": "a"})
            await conn.execute(text("SELECT count(*) FROM t"))
    assert await rows(engine) == [("old", 1)]
