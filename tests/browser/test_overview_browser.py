"""The site overview (/overview) in Chromium, on a demo world: a simulated receipt printer runs
out of paper, one job fails on it and one succeeds elsewhere; the page's numbers match (devices
online, paper out / ok, failures by reason, the failing device), the jobs-per-hour chart is a
uPlot chart with both states drawn on a time axis, and the page reads in English too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from fleet.sites import SiteLevel, SiteSpec, golmud
from kfleet.world.demo import DemoOptions, DemoWorld, queue_ticket, running_demo
from kfleet.world.world import KioskSpec
from tests.browser.chart_probe import LEGEND_TIME, chart_state, legend_time
from tests.browser.console_login import signed_in_page
from tests.browser.test_screen_browser import watch_errors


def town(uid: str) -> str:
    return f"qh/hx/golmud/ov{uid}"


@pytest.fixture
async def world(tmp_path: Path, uid: str, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    opts = DemoOptions(
        data_dir=tmp_path,
        broker_url=mosquitto_url,
        port=0,
        kiosks=[
            KioskSpec(f"ov-ok-{uid}", town(uid), "概览测试 1号自助终端"),
            KioskSpec(f"ov-out-{uid}", town(uid), "概览测试 2号自助终端"),
        ],
        sites=golmud(SiteSpec(f"ov{uid}", f"概览测试街道{uid}", SiteLevel.TOWN)),
    )
    async with running_demo(opts) as w:
        yield w


async def wait_reason(client: httpx.AsyncClient, device: str, reason: str) -> None:
    """Until the cloud shows the device's receipt printer with ``reason`` (the agent reports
    the simulator's status over MQTT; the API offers no push for it)."""
    async with asyncio.timeout(20):
        while True:
            detail = (await client.get(f"/api/v1/devices/{device}")).json()
            if any(p["reason"] == reason for p in detail["peripherals"]):
                return
            await asyncio.sleep(0.1)


async def print_one(client: httpx.AsyncClient, device: str, number: str) -> str:
    body = {
        "kind": "print_receipt",
        "target": {"device_id": device},
        "params": queue_ticket("概览测试", number),
        "max_attempts": 1,
    }
    r = await client.post("/api/v1/jobs", json=body)
    assert r.status_code == 201, r.text
    done = await client.get(f"/api/v1/jobs/{r.json()['id']}", params={"wait_s": 20})
    return str(done.json()["state"])


async def seed(world: DemoWorld, uid: str) -> None:
    """ov-out's printer runs out of paper; a job fails there, another succeeds on ov-ok
    (the agent probes its printers every 30 s and after every job)."""
    world.kiosks[1].printer.faults.paper_out = True
    async with httpx.AsyncClient(base_url=world.base_url, headers=world.headers, timeout=30) as c:
        assert await print_one(c, f"ov-ok-{uid}", "A001") == "succeeded"
        assert await print_one(c, f"ov-out-{uid}", "A002") == "failed"
        await wait_reason(c, f"ov-out-{uid}", "paper_out")  # probed after every job


def count(page: Page, key: str) -> object:
    return page.locator(f'[data-count="{key}"] .n')


async def test_overview_numbers_and_jobs_chart(
    browser: Browser, world: DemoWorld, uid: str
) -> None:
    await seed(world, uid)
    page = await signed_in_page(browser, world)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/overview?site={town(uid)}")
    await expect(page.locator("h1")).to_have_text("站点概览")
    await expect(page.locator("body")).to_have_attribute("data-site", town(uid))
    expected = {"devices.online": "2", "devices.offline": "0", "devices.silent": "0",
                "paper.out": "1", "paper.ok": "1", "paper.near_end": "0"}  # fmt: skip
    for key, n in expected.items():
        await expect(count(page, key)).to_have_text(n)  # type: ignore[arg-type]
    await expect(page.locator('[data-count="paper.out"]')).to_contain_text("缺纸")
    await expect(page.locator("#printers")).to_contain_text(f"ov-out-{uid}")
    await expect(page.locator("#failed-reasons tbody")).to_have_text("缺纸1")
    await expect(page.locator("#failing-devices tbody")).to_have_text(f"ov-out-{uid}1缺纸")
    jobs = await chart_state(page, "chart-jobs")
    assert jobs is not None
    assert jobs.series == 2 and sorted(jobs.labels) == ["失败", "成功"]
    assert jobs.times == 24 and jobs.values == 48  # every hour of both states, zeros too
    assert jobs.last_time_s - jobs.first_time_s == 23 * 3600
    assert jobs.painted > 0, "no bar of the first state was drawn"
    assert await page.locator("#chart-jobs").get_attribute("data-points") == "2"
    assert LEGEND_TIME.match(await legend_time(page, "chart-jobs"))
    assert errors == []
    await page.close()


async def test_overview_in_english(browser: Browser, world: DemoWorld, uid: str) -> None:
    await seed(world, uid)
    page = await signed_in_page(browser, world)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/overview?lang=en&site={town(uid)}")
    await expect(page.locator("h1")).to_have_text("Site overview")
    await expect(count(page, "paper.out")).to_have_text("1")  # type: ignore[arg-type]
    await expect(page.locator('[data-count="paper.out"]')).to_contain_text("out")
    await expect(page.locator("#failed-reasons tbody")).to_have_text("paper out1")
    await expect(page.locator("#chart-jobs figcaption")).to_contain_text("Jobs per hour")
    state = await chart_state(page, "chart-jobs")
    assert state is not None and sorted(state.labels) == ["failed", "succeeded"]
    await expect(page.locator("#kf-nav")).to_contain_text("Overview")
    assert errors == []
    await page.close()
