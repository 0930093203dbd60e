"""A SQLite connection going back to the pool is rolled back only when it is in a transaction:
never a round trip to aiosqlite's thread after a commit (issue 17), and never a transaction
left open for the next session, which would hold SQLite's write lock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cloud.db.session import make_engine, make_sessions


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def rollbacks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the driver's rollbacks (each a round trip to aiosqlite's thread)."""
    calls: list[int] = []
    real = aiosqlite.Connection.rollback

    async def counted(self: aiosqlite.Connection) -> None:
        calls.append(1)
        await real(self)

    monkeypatch.setattr(aiosqlite.Connection, "rollback", counted)
    return calls


async def test_no_rollback_after_a_commit(engine: AsyncEngine, rollbacks: list[int]) -> None:
    async with make_sessions(engine)() as s:
        await s.execute(text("INSERT INTO t VALUES (1)"))
        await s.commit()
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t VALUES (2)"))
    assert rollbacks == []
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 2


async def test_an_open_transaction_is_rolled_back_on_return(
    engine: AsyncEngine, rollbacks: list[int]
) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, aiosqlite.Connection)
        # behind SQLAlchemy's back: it sees no transaction of its own to end on close
        await driver.execute("BEGIN IMMEDIATE")
        await driver.execute("INSERT INTO t VALUES (1)")
        assert driver.in_transaction
    assert rollbacks == [1]
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, aiosqlite.Connection)
        assert not driver.in_transaction
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0
