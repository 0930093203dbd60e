"""Fixtures of the telemetry tests: a migrated database of each kind (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.faults.databases import PARAMS, POSTGRES
from tests.telemetry.kit import database


@pytest.fixture(params=PARAMS)
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def sessions(
    db_kind: str, request: pytest.FixtureRequest, tmp_path: Path, uid: str
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a freshly migrated database (SQLite, then PostgreSQL)."""
    server = request.getfixturevalue("postgres_url") if db_kind == POSTGRES else None
    async with database(db_kind, tmp_path, f"kftele_{uid}", server) as made:
        yield made
