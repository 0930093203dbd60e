"""``/docs`` in a real browser with every host but this machine unreachable (a hall intranet):
Swagger UI comes from the package, renders every operation, and logs no error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, expect

from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from tests.browser.test_screen_browser import watch_errors

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
#: resolves once the page has drawn the frame after the next one (what a scroll made visible)
NEXT_FRAME = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


@pytest.fixture
async def cloud(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    opts = DemoOptions(data_dir=tmp_path, broker_url=mosquitto_url, port=0, kiosks=[])
    async with running_demo(opts) as w:
        yield w


async def test_docs_render_offline(browser: Browser, cloud: DemoWorld) -> None:
    async with httpx.AsyncClient(base_url=cloud.base_url, timeout=30) as client:
        doc = (await client.get("/openapi.json")).json()
    operations = sum(len(ops) for ops in doc["paths"].values())
    assert operations >= 10

    page = await browser.new_page()
    errors = watch_errors(page)
    outside: list[str] = []

    async def intranet_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort("internetdisconnected")

    await page.route("**/*", intranet_only)
    await page.goto(f"{cloud.base_url}/docs")
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text("kfleet cloud")
    await expect(page.locator(".opblock").first).to_be_visible()
    seen = await _operations_seen(page, operations)
    assert len(seen) == operations
    assert any(op.startswith("operations-jobs-") for op in seen), sorted(seen)[:5]
    assert outside == []
    assert errors == []
    await page.close()


async def _operations_seen(page: Page, expected: int) -> set[str]:
    """Every operation block the page draws, scrolling top to bottom: Swagger UI draws a large
    document's operations only near the viewport, so they are counted as they come into view.
    A block drawn only after its part of the page went by (a loaded machine) is counted on the
    next pass from the top; a few passes at most, so a missing operation still fails."""
    seen: set[str] = set()
    for _ in range(5):
        await page.evaluate("() => window.scrollTo(0, 0)")
        seen |= await _one_pass(page)
        if len(seen) >= expected:
            break
    return seen


async def _one_pass(page: Page) -> set[str]:
    seen: set[str] = set()
    for _ in range(400):
        ids = await page.eval_on_selector_all(".opblock", "els => els.map(e => e.id)")
        seen.update(ids)
        done = await page.evaluate(
            "() => { const before = window.scrollY; window.scrollBy(0, window.innerHeight / 2);"
            " return window.scrollY === before; }"
        )
        if done:
            break
        await page.evaluate(NEXT_FRAME)  # the newly visible blocks are drawn by then
    ids = await page.eval_on_selector_all(".opblock", "els => els.map(e => e.id)")
    seen.update(ids)
    return seen
