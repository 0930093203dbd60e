"""The fleet console in a real browser (Debian's Chromium driven by Playwright, see conftest.py):
the site tree, devices online, and a job's result appearing without a reload."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from fleet.sites import SiteLevel, SiteSpec, golmud
from kfleet.world.demo import DemoOptions, DemoWorld, queue_ticket, running_demo
from kfleet.world.world import KioskSpec


@pytest.fixture
async def world(tmp_path: Path, uid: str, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    sites = golmud(
        SiteSpec(f"c{uid}", f"控制台测试街道{uid}", SiteLevel.TOWN),
    )
    opts = DemoOptions(
        data_dir=tmp_path,
        broker_url=mosquitto_url,
        port=0,
        kiosks=[KioskSpec(f"con-kiosk-{uid}", f"qh/hx/golmud/c{uid}", "控制台测试 1号自助终端")],
        sites=sites,
    )
    async with running_demo(opts) as w:
        yield w


async def test_console_shows_tree_devices_and_live_job_result(
    browser: Browser, world: DemoWorld, uid: str
) -> None:
    page = await browser.new_page()
    await page.goto(f"{world.base_url}/")
    await expect(page.get_by_text("格尔木市").first).to_be_visible()
    await expect(page.get_by_text(f"控制台测试街道{uid}")).to_be_visible()
    card = page.locator(f'[data-device="con-kiosk-{uid}"]')
    await expect(card).to_contain_text("在线")
    await expect(card).to_contain_text("receipt_printer")
    await expect(card).to_contain_text("暂无任务")

    async with httpx.AsyncClient(base_url=world.base_url, timeout=30) as client:
        r = await client.post(
            "/api/v1/jobs",
            json={
                "kind": "print_receipt",
                "target": {"device_id": f"con-kiosk-{uid}"},
                "params": queue_ticket("控制台测试", "E001"),
            },
        )
        job_id = r.json()["id"]
        done = await client.get(f"/api/v1/jobs/{job_id}", params={"wait_s": 20})
        assert done.json()["state"] == "succeeded"
    # No reload: the page polls the API and shows the result by itself.
    await expect(card.locator(f'[data-job="{job_id}"]')).to_contain_text("成功", timeout=10_000)
    await page.close()


async def test_console_in_english(browser: Browser, world: DemoWorld, uid: str) -> None:
    page = await browser.new_page()
    await page.goto(f"{world.base_url}/?lang=en")
    card = page.locator(f'[data-device="con-kiosk-{uid}"]')
    await expect(card).to_contain_text("online")
    await expect(card).to_contain_text("Peripherals")
    await page.close()
