"""Fixtures of the live-wall tests: a migrated SQLite database with the pilot sites."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from tests.alerts.kit import RecordingNotifier, Sessions, seed_sites
from tests.audit.audit_db import migrated
from tests.faults.databases import SQLITE


@pytest.fixture
async def db(tmp_path: Path, uid: str) -> AsyncIterator[Sessions]:
    async with migrated(SQLITE, tmp_path, f"kflive_{uid}", None) as engine:
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        await seed_sites(sessions)
        yield sessions


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()
