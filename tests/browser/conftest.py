"""The browser for browser tests: Debian's Chromium driven by Playwright (never downloaded)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

from tests.conftest import require_or_skip

# Flags from ../shared/ci-recipes.md: no sandbox as root, no network chatter on a closed machine.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: How long ``expect(...)`` waits for what a page shows unless the test says otherwise
#: (Playwright's default is 5 s). Every such wait ends as soon as the page shows it; on CI's
#: loaded 2-core machine a page that fetches, renders and polls took longer than 5 s (the
#: overview's ``data-site`` and the corner review's retaken photo, reproduced at load 18).
EXPECT_TIMEOUT_MS = 15_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)


def _chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        require_or_skip("Chromium (apt-get install chromium)")
    return path


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = _chromium()
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()
