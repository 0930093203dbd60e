"""Fixtures of the alert tests: a migrated database (SQLite; PostgreSQL where concurrency is
the point), the pilot sites, and a recording notifier."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from tests.access.kit import AccessCloud
from tests.alerts.api_kit import alerts_cloud, settings_for
from tests.alerts.kit import RecordingNotifier, Sessions, seed_sites
from tests.audit.audit_db import migrated
from tests.faults.databases import PARAMS, POSTGRES, SQLITE


async def _sessions(
    kind: str, tmp_path: Path, uid: str, request: pytest.FixtureRequest
) -> AsyncIterator[Sessions]:
    server = request.getfixturevalue("postgres_url") if kind == POSTGRES else None
    async with migrated(kind, tmp_path, f"kfal_{uid}", server) as engine:
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        await seed_sites(sessions)
        yield sessions


@pytest.fixture
async def db(tmp_path: Path, uid: str, request: pytest.FixtureRequest) -> AsyncIterator[Sessions]:
    """A migrated SQLite database with the pilot sites (and the default rules)."""
    async for sessions in _sessions(SQLITE, tmp_path, uid, request):
        yield sessions


@pytest.fixture(params=PARAMS)
async def any_db(
    tmp_path: Path, uid: str, request: pytest.FixtureRequest
) -> AsyncIterator[Sessions]:
    """The same on SQLite, then on PostgreSQL."""
    async for sessions in _sessions(str(request.param), tmp_path, uid, request):
        yield sessions


@pytest.fixture
async def pg_db(
    tmp_path: Path, uid: str, request: pytest.FixtureRequest
) -> AsyncIterator[Sessions]:
    """A migrated PostgreSQL database (two evaluators must really race)."""
    async for sessions in _sessions(POSTGRES, tmp_path, uid, request):
        yield sessions


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
async def api(
    tmp_path: Path, amqtt_url: str, notifier: RecordingNotifier
) -> AsyncIterator[AccessCloud]:
    """The cloud with its evaluator ticking every 0.2 s, telling ``notifier``."""
    async with alerts_cloud(settings_for(tmp_path, amqtt_url), notifier) as cloud:
        yield cloud
