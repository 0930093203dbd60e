"""The whole path with the real parts: a demo kiosk's simulated camera streams 7x24 because its
site is monitored, an operator opens /live in Chromium and the tile decodes it; the stream's
health is in telemetry. On loopback only.

Needs the relay's ``parts.media`` (branch i16-relay) and the agent's stream publisher
(i16-agent), and ``build_monitor(..., media)`` in ``cloud/wiring.py``: it fails on i16-walls
alone and passes once they are merged (checked 2026-12-07 05:36 on a throwaway tree holding
the three branches)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from cloud.telemetry.latest import latest_values
from fleet.access import PersonRole
from kfleet.world.demo import PILOT_KIOSKS, DemoOptions, DemoWorld, running_demo
from protocols.ice_hosts import restrict_ice_hosts
from tests.browser.console_login import signed_in_page
from tests.live.test_live_browser import WAIT_MS, decoding, media_browser  # noqa: F401

HHL = "qh/hx/golmud/hhl"
KIOSK = "hhl-kiosk-01"


@pytest.fixture
async def world(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    restrict_ice_hosts(["127.0.0.1"])
    opts = DemoOptions(
        data_dir=tmp_path,
        broker_url=mosquitto_url,
        port=0,
        kiosks=[k for k in PILOT_KIOSKS if k.device_id == KIOSK],
        cloud_settings={
            "media_monitor_sites": [HHL],
            "media_monitor_interval_s": 1.0,
            "media_ice_host_addresses": ["127.0.0.1"],
        },
        agent_settings={"av": {"ice_host_addresses": ["127.0.0.1"]}},
    )
    try:
        async with running_demo(opts) as w:
            yield w
    finally:
        restrict_ice_hosts([])


async def test_a_monitored_kiosk_plays_on_the_live_wall(
    media_browser: Browser,  # noqa: F811
    world: DemoWorld,
) -> None:
    page = await signed_in_page(media_browser, world, "live-operator", PersonRole.OPERATOR)
    await page.goto(f"{world.base_url}/live?site={HHL}")
    await expect(page.locator("body[data-ready='1']")).to_be_attached(timeout=WAIT_MS)
    row = page.locator(f"#live-device-rows tr[data-device='{KIOSK}']")
    # the monitor worker started the stream by itself: the row says it is live
    await expect(row).to_contain_text("直播中", timeout=WAIT_MS * 2)
    await row.get_by_role("button").click()
    await decoding(page, f"mon-{KIOSK}")
    tile = page.locator(f"figure[data-stream='mon-{KIOSK}']")
    await expect(tile).to_have_attribute("data-state", "live", timeout=WAIT_MS)
    await expect(tile.locator("dl div").last).to_contain_text("1", timeout=WAIT_MS)  # viewers
    assert world.sessions is not None
    async with asyncio.timeout(WAIT_MS / 1000):
        while True:  # the worker writes a point per pass (1 s here)
            async with world.sessions() as s:
                fps = await latest_values(s, device=KIOSK, names=["stream.fps"])
            if fps and fps[0].value > 5:
                break
            await asyncio.sleep(0.2)  # waiting for the next pass's point
    assert fps[0].tags == {"stream": f"mon-{KIOSK}", "purpose": "monitor"}
