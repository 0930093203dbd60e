"""The kiosk as a citizen meets it, for browser tests: the demo world with one pilot kiosk's
screen served (and the kiosk services' simulated outside systems), Chromium with a touch
screen, and the WCAG 2.2 AA check every kiosk screen must pass (axe-core, bundled in
``axe-playwright-python``: nothing fetched)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, expect

from kfleet.world.demo import PILOT_KIOSKS, DemoOptions, DemoWorld, running_demo
from kfleet.world.net import free_port
from kfleet.world.world import RunningKiosk

KIOSK = "hhl-kiosk-01"
HHL = "qh/hx/golmud/hhl"
#: the rules a kiosk screen is held to: WCAG 2.0/2.1/2.2 A and AA
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@dataclass(frozen=True)
class KioskWorld:
    world: DemoWorld
    kiosk: RunningKiosk
    url: str  # http://127.0.0.1:<port>/kiosk


@contextlib.asynccontextmanager
async def kiosk_world(
    tmp_path: Path,
    mosquitto_url: str,
    *,
    device_id: str = KIOSK,
    kiosk_settings: dict[str, Any] | None = None,
    extra_devices: tuple[str, ...] = (),
    cloud_settings: dict[str, object] | None = None,
) -> AsyncIterator[KioskWorld]:
    """The demo (its kiosk-service simulators running) with ``device_id``'s screen served."""
    port = free_port()
    wanted = {device_id, *extra_devices}
    opts = DemoOptions(
        data_dir=tmp_path,
        broker_url=mosquitto_url,
        port=0,
        kiosks=[k for k in PILOT_KIOSKS if k.device_id in wanted],
        screens={device_id: {"enabled": True, "port": port}},
        kiosk_sims=True,
        agent_settings={"kiosk": kiosk_settings} if kiosk_settings else {},
        cloud_settings=dict(cloud_settings or {}),
    )
    async with running_demo(opts) as world:
        kiosk = next(k for k in world.kiosks if k.spec.device_id == device_id)
        screen = kiosk.agent.screen
        await asyncio.wait_for(screen.settled.wait(), 30)
        # a port another process took between free_port() and the bind fails here, plainly
        assert screen.serving, f"the kiosk's screen could not be served on port {port}"
        yield KioskWorld(world, kiosk, f"http://127.0.0.1:{port}/kiosk")


@contextlib.asynccontextmanager
async def touch_page(browser: Browser, url: str, lang: str = "zh-CN") -> AsyncIterator[Page]:
    """A 1080p portrait-ish touch screen, as the pilot kiosks have, on ``url``, ready."""
    context: BrowserContext = await browser.new_context(
        viewport={"width": 1080, "height": 1920},
        has_touch=True,
        is_mobile=False,
        locale=lang,
        bypass_csp=True,  # axe is injected by evaluate(); the page's own CSP stays in force
    )
    try:
        page = await context.new_page()
        await page.goto(url)
        await expect(page.locator("body[data-ready='1']")).to_be_attached()
        yield page
    finally:
        await context.close()


async def assert_accessible(page: Page, what: str) -> None:
    """No WCAG 2.2 AA violation on the screen as it is now (``what`` names it on failure)."""
    results = await Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    violations = results.response.get("violations", [])
    assert not violations, f"{what}: {results.generate_report()}"
