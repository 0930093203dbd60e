"""The kiosk shell is served by a pilot kiosk's agent and passes the WCAG 2.2 AA check on its
home screen; 退出 (exit) clears the agent's session."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.async_api import Browser, expect

from tests.browser.kiosk_kit import assert_accessible, kiosk_world, touch_page


async def test_home_served_accessible_and_exit_clears(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with kiosk_world(tmp_path, mosquitto_url) as kw, httpx.AsyncClient(timeout=30) as client:
        status_url = kw.url.replace("/kiosk", "/kiosk/api/status")
        before = (await client.get(status_url)).json()["session"]
        async with touch_page(browser, kw.url) as page:
            await expect(page.locator("#k-title")).to_have_text("请选择您要办理的事项")
            await assert_accessible(page, "kiosk home")
            await page.locator("#k-exit").tap()
            await expect(page.locator("#k-title")).to_have_text("请选择您要办理的事项")
        after = (await client.get(status_url)).json()
        assert after["session"] != before
        assert kw.kiosk.agent.kiosk is not None and kw.kiosk.agent.kiosk.session.cleared >= 1
