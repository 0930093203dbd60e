"""Fixtures of the telemetry tests: a migrated database of each kind (SQLite, PostgreSQL)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.settings import Settings
from cloud.wiring import Parts
from tests.cloudkit import running_cloud
from tests.faults.databases import PARAMS, POSTGRES, fresh_postgres
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


@pytest.fixture
async def tele_env(
    db_kind: str, request: pytest.FixtureRequest, tmp_path: Path, uid: str, mosquitto_url: str
) -> AsyncIterator[tuple[Parts, httpx.AsyncClient]]:
    """A running cloud on Mosquitto and this test's database (SQLite, then PostgreSQL), its
    telemetry writer retrying quickly."""
    with contextlib.ExitStack() as stack:
        url = ""
        if db_kind == POSTGRES:
            server = str(request.getfixturevalue("postgres_url"))
            url = stack.enter_context(fresh_postgres(server, f"kftele_{uid}"))
        settings = Settings(
            data_dir=tmp_path,
            database_url=url,
            mqtt_url=mosquitto_url,
            demo=True,
            dispatch_interval_s=0.05,
            ack_timeout_s=30,
            retry_backoff_s=0,
        )
        async with running_cloud(settings) as (cloud, client):
            yield cloud, client
