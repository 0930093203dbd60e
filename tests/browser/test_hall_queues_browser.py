"""The console's queue monitor in a real browser (Chromium via Playwright): a hall configured
through the API, tickets taken and called; the page shows waiting counts and the window's
ticket, refreshes by itself after another call, and reads in English."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from cloud.db import sites as site_repo
from cloud.db.hall import HallStaff
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from tests.browser.console_login import signed_in_page
from tests.browser.test_screen_browser import watch_errors
from tests.hall.queue_api_kit import configure, new_site


@pytest.fixture
async def world(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    opts = DemoOptions(data_dir=tmp_path, broker_url=mosquitto_url, port=0, kiosks=[])
    async with running_demo(opts) as w:
        yield w


async def test_the_monitor_shows_and_follows_the_queue(browser: Browser, world: DemoWorld) -> None:
    async with httpx.AsyncClient(base_url=world.base_url, headers=world.headers, timeout=30) as api:
        site = await new_site(api)  # the demo seeds the pilot halls: a fresh one of our own
        q = f"?site={site}"
        await configure(api, site)
        assert world.sessions is not None
        async with world.sessions() as s:
            row = await site_repo.require(s, site)
            s.add(HallStaff(site_id=row.id, staff_no="1001", name="王芳"))
            await s.commit()
        for service in ("s-a", "s-a", "s-b"):
            r = await api.post(f"/api/v1/hall/tickets{q}", json={"service": service})
            assert r.status_code == 201, r.text
        await api.post(f"/api/v1/hall/windows/1/sign-in{q}", json={"staff_no": "1001"})
        assert (await api.post(f"/api/v1/hall/windows/1/call-next{q}")).status_code == 200

        page = await signed_in_page(browser, world)
        errors = watch_errors(page)
        await page.goto(f"{world.base_url}/hall/queues{q}")
        await expect(page.locator('#hq-queue-rows tr[data-queue="a"]')).to_contain_text("1")
        await expect(page.locator('#hq-queue-rows tr[data-queue="b"] td').nth(1)).to_have_text("1")
        w1 = page.locator('#hq-window-rows tr[data-window="1"]')
        await expect(w1).to_contain_text("A001")
        await expect(w1).to_contain_text("已叫号")
        await expect(w1).to_contain_text("1001")
        await expect(page.get_by_role("link", name="排队监控")).to_be_visible()

        await api.post(f"/api/v1/hall/windows/1/start{q}")
        await api.post(f"/api/v1/hall/windows/1/complete{q}")
        await api.post(f"/api/v1/hall/windows/1/call-next{q}")
        await expect(w1).to_contain_text("A002", timeout=10_000)  # refreshed by itself
        await expect(page.locator('#hq-queue-rows tr[data-queue="a"] td').nth(2)).to_have_text("1")

    await page.goto(f"{world.base_url}/hall/queues{q}&lang=en")
    await expect(page.locator("h1")).to_have_text("Queue monitor")
    await expect(page.locator('#hq-window-rows tr[data-window="1"]')).to_contain_text("called")
    assert errors == []
    await page.goto(f"{world.base_url}/hall/queues?site=qh/none")
    await expect(page.locator("#hq-status")).to_contain_text("site 'qh/none' not found")
    assert [e for e in errors if "404" not in e] == []  # the refused site's answer only
