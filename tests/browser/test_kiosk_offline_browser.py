"""The network banner follows the status poll (every 10 s): when the kiosk cannot reach the
cloud the banner says that cached services work and network ones do not, and a network
service's tile says it is unavailable; when the cloud is back the banner goes."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.async_api import Browser, expect

from kfleet.world.net import refusing_port
from tests.browser.kiosk_kit import assert_accessible, kiosk_world, touch_page
from tests.browser.kiosk_shell_kit import add_standins

#: one poll period (10 s) plus the cloud probe's memory (5 s) and some slack
WAIT_MS = 25_000


async def test_offline_banner_comes_and_goes(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with kiosk_world(tmp_path, mosquitto_url) as kw, touch_page(browser, kw.url) as page:
        parts = kw.kiosk.agent.kiosk
        assert parts is not None
        await add_standins(page)
        net = page.locator("#k-net")
        await expect(page.locator("body")).to_have_attribute("data-online", "1")
        await expect(net).to_have_text("")
        real = parts.cloud.cloud_url
        with refusing_port() as gone:
            parts.cloud.cloud_url = f"http://127.0.0.1:{gone}"  # the cloud is gone
            try:
                await expect(net).to_contain_text("网络未连接", timeout=WAIT_MS)
                await expect(net).to_contain_text("办事指南")
                net_tile = page.locator('.tile[data-screen="standin-net"]')
                await expect(net_tile).to_have_attribute("aria-disabled", "true")
                await expect(net_tile).to_contain_text("需要联网")
                form_tile = page.locator('.tile[data-screen="standin-form"]')
                await expect(form_tile).not_to_have_attribute("aria-disabled", "true")
                await assert_accessible(page, "kiosk home offline")
                async with httpx.AsyncClient(timeout=30) as http:
                    status = (await http.get(kw.url + "/api/status")).json()
                assert status["online"] is False and status["cloud_reachable"] is False
            finally:
                parts.cloud.cloud_url = real
        await expect(net).to_have_text("", timeout=WAIT_MS)
        await expect(page.locator('.tile[data-screen="standin-net"]')).not_to_have_attribute(
            "aria-disabled", "true"
        )
