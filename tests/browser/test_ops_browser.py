"""The console's 7x24 views in Chromium: a device that said online but went quiet shows as
silent (失联) with the reason, apart from online and offline; the availability page shows its
site and device figures, in zh-CN and English, and downloads them as CSV."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from fleet.sites import SiteLevel, SiteSpec, golmud
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from tests.browser.console_login import signed_in_page
from tests.browser.test_screen_browser import watch_errors
from tests.ops.forged import WillessDevice


@pytest.fixture
async def world(tmp_path: Path, uid: str, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    sites = golmud(SiteSpec(f"s{uid}", f"失联测试街道{uid}", SiteLevel.TOWN))
    opts = DemoOptions(data_dir=tmp_path, broker_url=mosquitto_url, port=0, kiosks=[], sites=sites)
    async with running_demo(opts) as w:
        yield w


async def test_silent_device_and_availability_page(
    browser: Browser, world: DemoWorld, uid: str, mosquitto_url: str, tmp_path: Path
) -> None:
    site = f"qh/hx/golmud/s{uid}"
    forged = WillessDevice(mosquitto_url, f"quiet-{uid}", heartbeat_s=0.3)
    try:
        await forged.birth(site)
        page = await signed_in_page(browser, world)
        errors = watch_errors(page)
        await page.goto(f"{world.base_url}/")
        card = page.locator(f'[data-device="quiet-{uid}"]')
        # the liveness sweep runs every 5 s (KFLEET_LIVENESS_INTERVAL_S)
        await expect(card).to_have_attribute("data-liveness", "silent", timeout=30_000)
        await expect(card).to_contain_text("失联")
        await expect(card.locator(".liveness-reason")).to_contain_text("三个心跳周期")
        await expect(card).to_have_class("device silent")

        await page.goto(f"{world.base_url}/availability")
        await page.fill("input[name=site]", site)
        await page.click("#avail-search")
        row = page.locator(f'#avail-device-rows tr[data-device="quiet-{uid}"]')
        await expect(row).to_contain_text(site)
        await expect(row).to_contain_text("%")
        await expect(page.locator(f'#avail-site-rows tr[data-site="{site}"]')).to_be_visible()
        await expect(page.locator("#avail-site-rows tr[data-total]")).to_contain_text("合计")
        async with page.expect_download() as info:
            await page.click("#avail-export")
        saved = tmp_path / "availability.csv"
        await (await info.value).save_as(saved)
        lines = saved.read_text(encoding="utf-8-sig").splitlines()
        assert lines[0].startswith("kind,site,device,start_utc,end_utc,up_s,down_s")
        assert any(line.startswith(f"device,{site},quiet-{uid},") for line in lines)

        await page.goto(f"{world.base_url}/availability?lang=en")
        await expect(page.locator("h1")).to_have_text("Availability")
        await expect(page.locator("#avail-export")).to_have_text("Export CSV")
        await expect(page.locator("#kf-nav")).to_contain_text("Availability")
        assert not errors, errors
    finally:
        await forged.clear()
