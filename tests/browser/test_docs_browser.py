"""``/docs`` in a real browser with every host but this machine unreachable (a hall intranet):
Swagger UI comes from the package, renders every operation, and logs no error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Route, expect

from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from tests.browser.test_screen_browser import watch_errors

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture
async def cloud(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    opts = DemoOptions(data_dir=tmp_path, broker_url=mosquitto_url, port=0, kiosks=[])
    async with running_demo(opts) as w:
        yield w


async def test_docs_render_offline(browser: Browser, cloud: DemoWorld) -> None:
    async with httpx.AsyncClient(base_url=cloud.base_url) as client:
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
    await expect(page.locator(".opblock")).to_have_count(operations)
    jobs = page.locator(".opblock-summary-path", has_text="/api/v1/jobs")
    await expect(jobs.first).to_be_visible()
    assert outside == []
    assert errors == []
    await page.close()
