"""The console's notification record in a real browser (Chromium via Playwright): rows of a
demo cloud's message service, their delivery states in words, the last error of a failed
one, the state filter, the configured channels (names only), and the page in English."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from tests.browser.console_login import signed_in_page
from tests.browser.test_screen_browser import watch_errors
from tests.notify.kit import channels_json, notice, service, until_settled, webhook
from tests.notify.receiver import WebhookReceiver


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    r = await WebhookReceiver().start()
    try:
        yield r
    finally:
        await r.stop()


@pytest.fixture
async def world(
    tmp_path: Path, mosquitto_url: str, receiver: WebhookReceiver
) -> AsyncIterator[DemoWorld]:
    hook = webhook(receiver.url, receiver.secret)
    opts = DemoOptions(
        data_dir=tmp_path,
        broker_url=mosquitto_url,
        port=0,
        kiosks=[],
        cloud_settings={"notify_channels": channels_json(hook), "notify_poll_s": 0.2},
    )
    async with running_demo(opts) as w:
        yield w


async def test_the_record_shows_states_errors_and_filters(
    browser: Browser, world: DemoWorld, receiver: WebhookReceiver
) -> None:
    assert world.sessions is not None
    recorder = service(world.sessions, webhook(receiver.url, receiver.secret))  # records only
    await recorder.notify(notice(1), ["hook", "pager"])  # "pager" is not configured
    async with asyncio.timeout(20):
        await until_settled(world.sessions, 2)  # the demo cloud's worker delivered / gave up
    page = await signed_in_page(browser, world)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/notifications")
    rows = page.locator("#nt-rows tr")
    await expect(rows).to_have_count(2)
    await expect(page.locator("#nt-channels")).to_have_text("hook (webhook)")
    delivered = page.locator('#nt-rows tr[data-state="delivered"]')
    await expect(delivered).to_contain_text("已送达")
    await expect(delivered).to_contain_text("唐古拉山镇")
    dead = page.locator('#nt-rows tr[data-state="dead"]')
    await expect(dead).to_contain_text("发送失败")
    await expect(dead).to_contain_text("no channel named 'pager'")
    await expect(page.get_by_role("link", name="通知记录")).to_be_visible()

    await page.select_option('select[name="state"]', "dead")
    await page.click("#nt-search")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("pager")

    await page.goto(f"{world.base_url}/notifications?lang=en")
    await expect(page.locator("h1")).to_have_text("Notifications")
    await expect(page.locator('#nt-rows tr[data-state="delivered"]')).to_contain_text("delivered")
    assert receiver.secret not in await page.content()
    assert errors == []
