"""Fixtures of the audit tests: the audit log on SQLite and on PostgreSQL, and Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.audit.audit_db import migrated
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.conftest import _chromium as chromium_path
from tests.faults.databases import PARAMS, POSTGRES


@pytest.fixture(params=PARAMS)
async def sessions(
    request: pytest.FixtureRequest, tmp_path: Path, uid: str
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a freshly migrated audit log (SQLite, then PostgreSQL)."""
    kind = str(request.param)
    server = request.getfixturevalue("postgres_url") if kind == POSTGRES else None
    async with migrated(kind, tmp_path, f"kfa_{uid}", server) as engine:
        yield async_sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, as tests/browser/conftest.py launches it."""
    executable = chromium_path()
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()
