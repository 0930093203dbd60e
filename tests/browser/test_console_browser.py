"""The fleet console in a real browser (Debian's Chromium driven by Playwright, see conftest.py):
the site tree, devices online, a job's result appearing without a reload, an offline device's
peripherals shown as unknown, site-targeted jobs at their site, labels and dated times."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from fleet.sites import SiteLevel, SiteSpec, golmud
from kfleet.world.demo import DemoOptions, DemoWorld, queue_ticket, running_demo
from kfleet.world.world import KioskSpec
from tests.browser.console_login import signed_in_page
from tests.browser.test_screen_browser import watch_errors
from tests.cloudkit import RECEIPT_PRINTER, FakeDevice

#: A time with its date, as the console shows every time (local time zone).
DATED = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


@pytest.fixture
async def world(tmp_path: Path, uid: str, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    sites = golmud(
        SiteSpec(f"c{uid}", f"控制台测试街道{uid}", SiteLevel.TOWN),
        SiteSpec(f"o{uid}", f"离线测试街道{uid}", SiteLevel.TOWN),
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
    page = await signed_in_page(browser, world)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/")
    await expect(page.get_by_text("格尔木市").first).to_be_visible()
    await expect(page.get_by_text(f"控制台测试街道{uid}")).to_be_visible()
    card = page.locator(f'[data-device="con-kiosk-{uid}"]')
    await expect(card).to_contain_text("在线")
    await expect(card).to_contain_text("小票打印机")  # a label, not the raw kind
    await expect(card).not_to_contain_text("receipt_printer")
    await expect(card).to_contain_text("暂无任务")

    async with httpx.AsyncClient(
        base_url=world.base_url, headers=world.headers, timeout=30
    ) as client:
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
        site = f"qh/hx/golmud/c{uid}"
        r = await client.post(
            "/api/v1/jobs",
            json={
                "kind": "print_receipt",
                "target": {"site": site},
                "params": queue_ticket("控制台测试", "E002"),
            },
        )
        site_job = r.json()["id"]
        done = await client.get(f"/api/v1/jobs/{site_job}", params={"wait_s": 20})
        assert done.json()["state"] == "succeeded"
    # No reload: the page polls the API and shows the result by itself.
    item = card.locator(f'[data-job="{job_id}"]')
    await expect(item).to_contain_text("成功", timeout=10_000)
    await expect(item).to_contain_text("打印小票")
    await expect(item).not_to_contain_text("print_receipt")
    await expect(item).to_contain_text(DATED)
    await expect(item).not_to_contain_text("发往站点")
    # a site job, once dispatched, is listed with its device and still says where it was sent
    await expect(card.locator(f'[data-job="{site_job}"]')).to_contain_text(f"发往站点 {site}")
    assert errors == []
    await page.close()


async def test_console_in_english(browser: Browser, world: DemoWorld, uid: str) -> None:
    page = await signed_in_page(browser, world)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/?lang=en")
    card = page.locator(f'[data-device="con-kiosk-{uid}"]')
    await expect(card).to_contain_text("online")
    await expect(card).to_contain_text("Peripherals")
    assert errors == []
    await page.close()


def offline_site(uid: str) -> str:
    return f"qh/hx/golmud/o{uid}"


def lone_device(url: str, uid: str) -> FakeDevice:
    """A device with a receipt printer, alone in its site."""
    return FakeDevice(url, f"off-{uid}", site=offline_site(uid), peripherals=[RECEIPT_PRINTER])


async def test_offline_device_peripherals_are_unknown_not_ok(
    browser: Browser, world: DemoWorld, uid: str, mosquitto_url: str
) -> None:
    """An offline device cannot vouch for its peripherals: not 正常, but 设备离线 (grey)."""
    async with lone_device(mosquitto_url, uid) as dev:
        await dev.birth()
        page = await signed_in_page(browser, world)
        errors = watch_errors(page)
        await page.goto(f"{world.base_url}/")
        card = page.locator(f'[data-device="off-{uid}"]')
        await expect(card).to_contain_text("正常")  # online: the device's word
        await dev.state(False)
        await expect(card.locator("h3")).to_contain_text("离线", timeout=10_000)
        await expect(card).not_to_contain_text("正常")
        printer = card.locator('[data-peripheral="rp1"]')
        await expect(printer).to_contain_text("小票打印机 (rp1) 设备离线")
        await expect(printer.locator(".badge")).to_have_class(re.compile(r"\bunknown\b"))
        await page.goto(f"{world.base_url}/?lang=en")
        await expect(printer).to_contain_text("receipt printer (rp1) device offline")
        assert errors == []
        await page.close()


async def test_site_targeted_job_is_shown_at_its_site(
    browser: Browser, world: DemoWorld, uid: str, mosquitto_url: str
) -> None:
    """A job sent to a site has no device until it is dispatched: the console shows it at
    its site (here it waits: the site's only receipt printer is on an offline device)."""
    site = offline_site(uid)
    async with (
        lone_device(mosquitto_url, uid) as dev,
        httpx.AsyncClient(base_url=world.base_url, headers=world.headers, timeout=30) as client,
    ):
        await dev.birth()
        await dev.state(False)
        page = await signed_in_page(browser, world)
        errors = watch_errors(page)
        await page.goto(f"{world.base_url}/")
        card = page.locator(f'[data-device="off-{uid}"]')
        await expect(card.locator("h3")).to_contain_text("离线", timeout=10_000)
        r = await client.post(
            "/api/v1/jobs",
            json={
                "kind": "print_receipt",
                "target": {"site": site},
                "params": queue_ticket("站点任务", "S001"),
            },
        )
        assert r.status_code == 201, r.text
        job = r.json()
        assert job["state"] == "queued" and job["device_id"] is None
        item = page.locator(f'[data-site="{site}"] > .site-jobs [data-job="{job["id"]}"]')
        await expect(item).to_contain_text("打印小票")
        await expect(item).to_contain_text("排队")
        await expect(item).to_contain_text(f"发往站点 {site}")
        await expect(item).to_contain_text(DATED)
        await page.goto(f"{world.base_url}/?lang=en")
        await expect(item).to_contain_text("print receipt")
        await expect(item).to_contain_text("queued")
        assert errors == []
        await page.close()


async def test_signed_out_console_sends_the_browser_to_login(
    browser: Browser, world: DemoWorld
) -> None:
    """No session: the page shows no fleet data and goes to the login page, which brings the
    browser back here after a login."""
    page = await browser.new_page()
    await page.goto(f"{world.base_url}/")
    await page.wait_for_url(re.compile(r"/login\?next=%2F$"))
    await page.close()
