"""The device page's charts in Chromium: a device's replayed telemetry history (through the real
ingest, pipeline and SQL store) is drawn by uPlot — the right series, real points on a time
axis — and switching the range from 1 h to 24 h to 7 d fetches the series again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, Request, expect

from fleet.sites import SiteLevel, SiteSpec, golmud
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from tests.browser.chart_probe import LEGEND_TIME, chart_state, legend_time
from tests.browser.console_login import signed_in_page
from tests.browser.telemetry_seed import DENSE_MINUTES, send_history, wait_stored
from tests.browser.test_screen_browser import watch_errors
from tests.cloudkit import RECEIPT_PRINTER, FakeDevice


@pytest.fixture
async def world(tmp_path: Path, uid: str, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    opts = DemoOptions(
        data_dir=tmp_path,
        broker_url=mosquitto_url,
        port=0,
        kiosks=[],
        sites=golmud(SiteSpec(f"dc{uid}", f"图表测试街道{uid}", SiteLevel.TOWN)),
    )
    async with running_demo(opts) as w:
        yield w


@pytest.fixture
async def device(world: DemoWorld, uid: str, mosquitto_url: str) -> AsyncIterator[str]:
    """A device with an hour of minute points and four days of hourly CPU points, stored."""
    dev = FakeDevice(
        mosquitto_url, f"dc-{uid}", f"qh/hx/golmud/dc{uid}", peripherals=[RECEIPT_PRINTER]
    )
    async with (
        dev,
        httpx.AsyncClient(base_url=world.base_url, headers=world.headers, timeout=30) as client,
    ):
        await dev.birth()
        now = await send_history(dev, client)
        await wait_stored(client, dev.device_id, now)
        yield dev.device_id


def series_requests(page: Page) -> list[str]:
    seen: list[str] = []

    def on_request(req: Request) -> None:
        if "/api/v1/telemetry/series" in req.url:
            seen.append(req.url)

    page.on("request", on_request)
    return seen


async def test_device_charts_draw_real_points(
    browser: Browser, world: DemoWorld, device: str
) -> None:
    page = await signed_in_page(browser, world)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/device?id={device}")
    await expect(page.locator("body")).to_have_attribute("data-range", "1h")
    await expect(page.locator("#device-title")).to_have_text(f"kiosk {device}")
    sys = await chart_state(page, "chart-sys")
    assert sys is not None
    assert sys.series == 3 and sys.labels == ["CPU", "内存", "磁盘"]
    assert sys.times == DENSE_MINUTES and sys.values == 3 * DENSE_MINUTES
    assert sys.painted > 0, "the CPU line was not drawn"
    assert LEGEND_TIME.match(await legend_time(page, "chart-sys"))
    for fig, labels in {
        "chart-temp": ["温度 (°C)"],
        "chart-rtt": ["RTT"],
        "chart-health": ["rp1"],
        "chart-paper": ["rp1"],
        "chart-counters": ["rp1 · pages"],
    }.items():
        state = await chart_state(page, fig)
        assert state is not None, f"{fig} was not drawn"
        assert state.labels == labels and state.values == DENSE_MINUTES, (fig, state)
    assert errors == []
    await page.close()


async def test_switching_the_range_fetches_again(
    browser: Browser, world: DemoWorld, device: str
) -> None:
    page = await signed_in_page(browser, world)
    errors = watch_errors(page)
    requests = series_requests(page)
    await page.goto(f"{world.base_url}/device?id={device}")
    await expect(page.locator("body")).to_have_attribute("data-range", "1h")
    hour = await chart_state(page, "chart-sys")
    assert hour is not None and hour.times == DENSE_MINUTES
    counts = {"1h": len(requests)}
    assert counts["1h"] >= 6 and all("step=60&" in u for u in requests)
    for name, step in (("24h", 300), ("7d", 3600)):
        await page.get_by_role("button", name=name.replace("h", " h").replace("d", " d")).click()
        await expect(page.locator("body")).to_have_attribute("data-range", name)
        fresh = requests[sum(counts.values()) :]
        counts[name] = len(fresh)
        assert counts[name] == counts["1h"] and all(f"step={step}&" in u for u in fresh)
    week = await chart_state(page, "chart-sys")
    assert week is not None
    # 7 d in 1-hour steps: the hourly points of four days plus the last hour's minutes
    assert week.last_time_s - week.first_time_s >= 90 * 3600
    assert hour.times < week.times < hour.times + 100
    await expect(page.locator("#ranges [aria-pressed=true]")).to_have_text("7 d")
    assert errors == []
    await page.close()


async def test_device_charts_in_english(browser: Browser, world: DemoWorld, device: str) -> None:
    page = await signed_in_page(browser, world)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/device?id={device}&lang=en")
    await expect(page.locator("#chart-sys figcaption")).to_have_text("CPU / memory / disk (%)")
    await expect(page.locator("#chart-paper figcaption")).to_have_text("Paper")
    sys = await chart_state(page, "chart-sys")
    assert sys is not None and sys.labels == ["CPU", "memory", "disk"]
    assert errors == []
    await page.close()


async def test_overview_charts_the_paper_of_its_printers(
    browser: Browser, world: DemoWorld, device: str, uid: str
) -> None:
    """The same history seen from its site: the printer is out now (its newest paper point),
    and the paper chart shows its 24 h in 5-minute steps."""
    page = await signed_in_page(browser, world)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/overview?site=qh/hx/golmud/dc{uid}")
    # data-site is set once the charts are drawn
    await expect(page.locator("body")).to_have_attribute("data-site", f"qh/hx/golmud/dc{uid}")
    await expect(page.locator('[data-count="paper.out"] .n')).to_have_text("1")
    await expect(page.locator('[data-count="devices.online"] .n')).to_have_text("1")
    paper = await chart_state(page, "chart-paper-history")
    assert paper is not None and paper.labels == [f"{device} · rp1"]
    assert DENSE_MINUTES // 5 <= paper.values <= DENSE_MINUTES // 5 + 1
    assert paper.painted > 0, "the paper line (out = 2 of 0..3) was not drawn"
    assert errors == []
    await page.close()
