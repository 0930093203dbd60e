"""The console's query-usage page in a real browser: usage rows of two kiosks' queries (written
as the query service writes them) are counted per query and per outcome for the chosen site;
another site's kiosks are not counted; the page reads in English."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from cloud.kiosk.queries_tables import KioskQueryUsage
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from tests.browser.console_login import signed_in_page
from tests.browser.test_screen_browser import watch_errors

HHL, TGLS = "qh/hx/golmud/hhl", "qh/hx/golmud/tgls"


@pytest.fixture
async def world(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    opts = DemoOptions(data_dir=tmp_path, broker_url=mosquitto_url, port=0, kiosks=[])
    async with running_demo(opts) as w:
        yield w


async def _usage(world: DemoWorld) -> None:
    assert world.sessions is not None
    now = datetime.now(UTC) - timedelta(minutes=5)
    rows = [
        ("hrss_pension", HHL, "ok", 120),
        ("hrss_pension", HHL, "ok", 180),
        ("hrss_pension", HHL, "timeout", 6000),
        ("bus_card", HHL, "refused", 90),
        ("bus_card", TGLS, "ok", 80),
    ]
    async with world.sessions() as s:
        for query, site, outcome, ms in rows:
            dept = query.split("_")[0]
            s.add(
                KioskQueryUsage(
                    at=now,
                    query=query,
                    department=dept,
                    site=site,
                    device_id="k",
                    outcome=outcome,
                    duration_ms=ms,
                )
            )
        await s.commit()


async def test_usage_by_query_and_outcome(browser: Browser, world: DemoWorld) -> None:
    await _usage(world)
    page = await signed_in_page(browser, world)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/kiosk/stats?site={HHL}")
    pension = page.locator('#ks-query-rows tr[data-query="hrss_pension"] td')
    await expect(pension.nth(2)).to_have_text("3")
    await expect(pension.nth(3)).to_have_text("2")
    await expect(pension.nth(4)).to_have_text("1")
    bus = page.locator('#ks-query-rows tr[data-query="bus_card"] td')
    await expect(bus.nth(2)).to_have_text("1")  # TGLS's is not counted
    timeout = page.locator('#ks-outcome-rows tr[data-outcome="timeout"]')
    await expect(timeout).to_contain_text("超时")
    await expect(page.get_by_role("link", name="便民查询统计")).to_be_visible()
    await page.goto(f"{world.base_url}/kiosk/stats?site={HHL}&lang=en")
    await expect(page.locator('#ks-outcome-rows tr[data-outcome="refused"]')).to_contain_text(
        "refused / no record"
    )
    assert errors == []
