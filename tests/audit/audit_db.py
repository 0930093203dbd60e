"""The audit log's databases for tests: a migrated SQLite file or a fresh PostgreSQL database
(``tests.faults.databases.fresh_postgres``), and rows written with chosen times."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cloud.db import migrate
from cloud.db.identity import AuditEntry
from cloud.db.session import make_engine
from tests.faults.databases import POSTGRES, fresh_postgres

#: the first row's time in every test log; each next row one second later
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    actor: str
    action: str
    site: str = ""
    result: str = "ok"
    message: str = ""
    target: str = ""


@asynccontextmanager
async def migrated(
    kind: str, tmp: Path, name: str, pg_server: str | None
) -> AsyncIterator[AsyncEngine]:
    """An engine on a migrated database of ``kind`` (sqlite or postgres), disposed after."""
    if kind == POSTGRES:
        assert pg_server is not None
        with fresh_postgres(pg_server, name) as url:
            engine = make_engine(url)
            try:
                await migrate.upgrade(engine)
                yield engine
            finally:
                await engine.dispose()
        return
    engine = make_engine(f"sqlite+aiosqlite:///{tmp / 'audit.db'}")
    try:
        await migrate.upgrade(engine)
        yield engine
    finally:
        await engine.dispose()


async def write_rows(
    sessions: async_sessionmaker[AsyncSession], rows: Sequence[Row], start: datetime = T0
) -> list[int]:
    """Insert ``rows`` one second apart from ``start``; their ids in order."""
    entries = [
        AuditEntry(
            at=start + timedelta(seconds=i),
            actor=r.actor,
            ip="10.0.0.1",
            action=r.action,
            target=r.target,
            site=r.site,
            result=r.result,
            message=r.message,
            detail={},
        )
        for i, r in enumerate(rows)
    ]
    async with sessions() as s:
        s.add_all(entries)
        await s.commit()
        return [e.id for e in entries]
