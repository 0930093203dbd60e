"""The demo's own devices fill the charts: a demo kiosk's agent samples its machine and its
printer, and the demo's paper cycle empties the printer — the device page charts CPU, memory
and disk and the paper going out, and the overview counts the printer out of paper. Nothing is
seeded: agent → MQTT → ingest → SQL store → series API → uPlot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from fleet.sites import SiteLevel, SiteSpec, golmud
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from kfleet.world.paper_cycle import PaperCycle
from kfleet.world.world import KioskSpec
from protocols.telemetry import PaperCode
from tests.browser.chart_probe import chart_state
from tests.browser.console_login import signed_in_page
from tests.browser.test_screen_browser import watch_errors


def town(uid: str) -> str:
    return f"qh/hx/golmud/dm{uid}"


@pytest.fixture
async def world(tmp_path: Path, uid: str, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    device = f"dm-kiosk-{uid}"
    opts = DemoOptions(
        data_dir=tmp_path,
        broker_url=mosquitto_url,
        port=0,
        kiosks=[KioskSpec(device, town(uid), "演示图表 1号自助终端")],
        sites=golmud(SiteSpec(f"dm{uid}", f"演示图表街道{uid}", SiteLevel.TOWN)),
        # paper for 2.5 s from the agents' connect (their first sample, 2 s after they start,
        # comes before the outage: the store holds the change, not only "out"), then out for
        # the rest
        paper_cycle=PaperCycle(device, ok_s=2.5, near_end_s=0.5, out_s=3600),
        # the demo's periods are minutes; a test waits seconds
        agent_settings={"tele_interval_s": 2, "health_interval_s": 0.5},
    )
    async with running_demo(opts) as w:
        yield w


async def stored_max(c: httpx.AsyncClient, name: str, device: str) -> float | None:
    """The highest value stored over the last 24 h, each step's maximum (as the device page and
    the overview ask for paper): the API's default, the average of each 5-minute step, never
    reaches "out" while the step also holds the samples from before the outage."""
    params = {"name": name, "device": device, "agg": "max"}
    r = await c.get("/api/v1/telemetry/series", params=params)
    values = [v for s in r.json()["series"] for _, v in s["points"]]
    return max(values) if values else None


async def wait_paper_out(world: DemoWorld, uid: str) -> None:
    """Until the overview counts the printer out (from its newest paper value) and the store
    holds the outage and the CPU samples (written after the newest values: no push for it)."""
    device = f"dm-kiosk-{uid}"
    seen: dict[str, object] = {}
    async with httpx.AsyncClient(base_url=world.base_url, headers=world.headers, timeout=30) as c:
        try:
            async with asyncio.timeout(60):
                while True:
                    o = (await c.get(f"/api/v1/sites/{town(uid)}/overview")).json()
                    seen = {
                        "paper": o["paper"],
                        "printers": o["printers"],
                        "stored paper": await stored_max(c, "peripheral.paper", device),
                        "stored cpu": await stored_max(c, "sys.cpu_pct", device),
                    }
                    if (
                        o["paper"]["out"] == 1
                        and o["printers"]
                        and o["printers"][0]["ts_ms"] is not None
                        and seen["stored paper"] == PaperCode.OUT
                        and seen["stored cpu"] is not None
                    ):
                        return
                    await asyncio.sleep(0.2)
        except TimeoutError:
            pytest.fail(f"no paper outage on the overview and in the store within 60 s: {seen}")


async def test_the_demo_devices_fill_the_charts(
    browser: Browser, world: DemoWorld, uid: str
) -> None:
    await wait_paper_out(world, uid)
    page = await signed_in_page(browser, world)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/device?id=dm-kiosk-{uid}")
    await expect(page.locator("body")).to_have_attribute("data-range", "1h")
    sys = await chart_state(page, "chart-sys")
    assert sys is not None and sys.series == 3 and sys.values >= 3, sys
    paper = await chart_state(page, "chart-paper")
    assert paper is not None and paper.labels == ["receipt"]
    assert paper.max_value == PaperCode.OUT
    await page.goto(f"{world.base_url}/overview?site={town(uid)}")
    # data-site is set once the charts are drawn
    await expect(page.locator("body")).to_have_attribute("data-site", town(uid))
    await expect(page.locator('[data-count="paper.out"] .n')).to_have_text("1")
    await expect(page.locator("#printers")).to_contain_text(f"dm-kiosk-{uid}")
    history = await chart_state(page, "chart-paper-history")
    assert history is not None and history.labels == [f"dm-kiosk-{uid} · receipt"]
    assert history.max_value == PaperCode.OUT and history.painted > 0
    assert errors == []
    await page.close()
