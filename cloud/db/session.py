"""Engine and session factory for SQLite (WAL) and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolResetState

from cloud.db.sqlite_driver import one_hop_dbapi
from cloud.errors import ConfigError

#: SQLite waits this long for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_reset(dbapi_conn: Any, _record: Any, state: PoolResetState) -> None:
    """Roll back a connection going back to the pool only if it is in a transaction.

    The pool's default rolls back unconditionally, even after a commit: on aiosqlite a
    round trip to its thread for nothing, about one per session (issue 17). The connection
    (:class:`cloud.db.sqlite_driver.OneHopConnection`) decides: it reads SQLite's own flag
    (``sqlite3_get_autocommit``, no thread hop) once no statement of it is still on its way
    to the thread. Outside the event loop (``asyncio_safe`` false: a connection collected
    unclosed) nothing may be awaited; the pool's default does nothing there either.
    """
    if state.asyncio_safe and not state.transaction_was_reset:
        dbapi_conn.rollback()


def make_engine(url: str) -> AsyncEngine:
    """An async engine for ``url``; SQLite gets WAL, a busy timeout and one connection.

    One SQLite connection serialises this process's transactions in FIFO order on the pool
    instead of in SQLite's sleeping busy handler, which keeps write latency flat; WAL and the
    busy timeout cover other processes (``kfleet cloud migrate`` next to a running service).
    """
    try:
        parsed = make_url(url)
    except Exception as err:
        raise ConfigError(
            f"database URL {url!r} is not a SQLAlchemy URL; use sqlite+aiosqlite:///path.db "
            "or postgresql+psycopg://user@host/db"
        ) from err
    # hide_parameters: a statement's values never reach a log line or an error message (they
    # may be personal data a guard missed: docs/privacy.md); the statement itself still does
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            hide_parameters=True,
            pool_reset_on_return=None,  # _sqlite_reset instead
            module=one_hop_dbapi(),  # one hand-off to aiosqlite's thread per statement
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "reset", _sqlite_reset)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_async_engine(
            url, pool_size=10, max_overflow=10, pool_pre_ping=True, hide_parameters=True
        )
    raise ConfigError(
        f"database {parsed.get_backend_name()!r} is not supported: use SQLite or PostgreSQL"
    )


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (responses are built afterwards)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def engine_of(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    """The engine ``sessions`` are bound to: Core statements on a bare connection skip the ORM
    session's own work (issue 17: a few per job)."""
    engine = sessions.kw["bind"]
    assert isinstance(engine, AsyncEngine), engine
    return engine


async def ping(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """True when the database answers a trivial query."""
    try:
        async with sessions() as s:
            await s.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
