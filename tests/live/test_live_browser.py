"""The console's /live page in Chromium against the media API's fixed shapes (a stand-in with
real aiortc peers on loopback): two streams decode at once, the health overlay shows, an
unplugged camera's tile says so and plays again when the camera is back, a stalled stream is
said, closing a tile leaves the WHEP session; axe on the page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.browser.conftest import CHROMIUM_ARGS, _chromium
from tests.browser.kiosk_kit import assert_accessible
from tests.browser.test_screen_browser import watch_errors
from tests.live.relay_standin import HHL, StandInRelay, served

WAIT_MS = 20_000
MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]


@pytest.fixture
async def media_browser() -> AsyncIterator[Browser]:
    """Chromium with fake media devices; WebRTC may use the loopback interface."""
    executable = _chromium()
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS + MEDIA_ARGS)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
async def relay() -> AsyncIterator[tuple[StandInRelay, str]]:
    r = StandInRelay()
    r.add_device("hhl-kiosk-01", "黄河路 1号自助终端")
    r.add_device("hhl-kiosk-02", "黄河路 2号自助终端")
    r.publish("hhl-kiosk-01")  # already monitored; 02 is started from the page
    async with served(r) as base:
        yield r, base


async def decoding(page: Page, stream_id: str) -> None:
    """The tile's <video> decodes: a width, and its clock moves past the first reading."""
    video = f"figure[data-stream='{stream_id}'] video"
    await page.wait_for_function(
        f'() => {{ const v = document.querySelector("{video}"); return v && v.videoWidth > 0; }}',
        timeout=WAIT_MS,
    )
    first = await page.eval_on_selector(video, "v => v.currentTime")
    await page.wait_for_function(
        f"t => document.querySelector(\"{video}\").currentTime > t + 0.5", arg=first,
        timeout=WAIT_MS,
    )  # fmt: skip


async def test_two_streams_live_at_once_and_an_unplugged_camera_says_so(
    media_browser: Browser, relay: tuple[StandInRelay, str]
) -> None:
    standin, base = relay
    page = await media_browser.new_page()
    errors = watch_errors(page)
    await page.goto(f"{base}/live?site={HHL}")
    await expect(page.locator("body[data-ready='1']")).to_be_attached(timeout=WAIT_MS)
    rows = page.locator("#live-device-rows tr")
    await expect(rows).to_have_count(2)
    await rows.nth(0).get_by_role("button").click()
    await rows.nth(1).get_by_role("button").click()
    assert standin.starts == ["hhl-kiosk-02"]  # only the stream that was not live is asked
    await decoding(page, "mon-hhl-kiosk-01")
    await decoding(page, "mon-hhl-kiosk-02")
    tile1 = page.locator("figure[data-stream='mon-hhl-kiosk-01']")
    await expect(tile1).to_have_attribute("data-state", "live", timeout=WAIT_MS)
    await expect(tile1.locator("dl")).to_contain_text("15.0")  # fps from the health
    await expect(tile1.locator("dl")).to_contain_text("420")
    assert [len(s.viewers) for s in standin.streams.values()] == [1, 1]
    await assert_accessible(page, "/live with two tiles")

    await standin.unplug("hhl-kiosk-02")
    tile2 = page.locator("figure[data-stream='mon-hhl-kiosk-02']")
    await expect(tile2).to_have_attribute("data-state", "unplugged", timeout=WAIT_MS)
    await expect(tile2.locator(".tile-notice")).to_contain_text("摄像头已断开")
    await expect(tile1).to_have_attribute("data-state", "live")  # the other tile plays on
    await decoding(page, "mon-hhl-kiosk-01")
    await expect(rows.nth(1)).to_contain_text("已结束 (camera unplugged)")
    standin.publish("hhl-kiosk-02")  # plugged back in: the device streams again
    await expect(tile2).to_have_attribute("data-state", "live", timeout=WAIT_MS)
    await decoding(page, "mon-hhl-kiosk-02")  # the tile connected again by itself

    standin.streams["mon-hhl-kiosk-01"].stalled = True
    await expect(tile1).to_have_attribute("data-state", "stalled", timeout=WAIT_MS)
    await expect(tile1.locator(".tile-notice")).to_contain_text("画面停滞")

    await tile1.get_by_role("button", name="关闭").click()
    await expect(tile1).to_have_count(0)
    async with asyncio.timeout(WAIT_MS / 1000):
        await standin.someone_left.wait()  # the tile's WHEP DELETE
    assert standin.streams["mon-hhl-kiosk-01"].viewers == {} and len(standin.left) == 1
    assert errors == []


async def test_the_page_speaks_english(
    media_browser: Browser, relay: tuple[StandInRelay, str]
) -> None:
    _, base = relay
    page = await media_browser.new_page()
    await page.goto(f"{base}/live?site={HHL}&lang=en")
    await expect(page.locator("body[data-ready='1']")).to_be_attached(timeout=WAIT_MS)
    await expect(page.get_by_role("button", name="Open the site's wall")).to_be_enabled()
    await page.get_by_role("button", name="Open the site's wall").click()
    await expect(page.locator("figure.tile")).to_have_count(2)
    await decoding(page, "mon-hhl-kiosk-01")
    await expect(page.locator("figure[data-stream='mon-hhl-kiosk-01']")).to_contain_text("live")
    await assert_accessible(page, "/live in English")
