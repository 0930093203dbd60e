"""The corner-adjust screen on a kiosk (Chromium, touch emulation, 1080x1920 portrait): a real
agent's scan asks the citizen, the page shows the photo with four handles, each handle is
dragged with real touch events (CDP ``Input.dispatchTouchEvent``) onto the page's true corner,
and 确认 sends them: the agent rectifies with corners within a few pixels of the truth. The
handles also move with the arrow keys; "use whole photo" keeps the photo as it is."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from playwright.async_api import Browser, BrowserContext, CDPSession, Page, expect

from edge_agent.agent import Agent
from edge_agent.config import parse_config
from edge_agent.drivers import doc_camera
from edge_agent.drivers.doc_camera import DocCamera
from edge_agent.jobs.corner_review import reviewed_scan
from kfleet.world.net import free_port
from simulators.doc_camera import SyntheticFrameSource, jaccard, source_from_name
from tests.browser.test_screen_browser import watch_errors

FRAME = (1920, 1080)
KIOSK = {"width": 1080, "height": 1920}
#: how far (frame pixels) a dragged corner may land from the page's true corner
NEAR_PX = 5.0
#: a photo's capture and corner detection (1920x1080) until the page shows it, or its
#: rectification: seconds of CPU that a loaded 2-core machine stretched past 5 and 15 s
#: (the review itself waits 60 s)
PHOTO_MS = 45_000


@dataclass
class Kiosk:
    agent: Agent
    camera: DocCamera
    source: list[SyntheticFrameSource]
    url: str


@asynccontextmanager
async def kiosk_with_scanner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Kiosk]:
    """An agent (no fleet needed) with a synthetic document camera that always asks."""
    made: list[SyntheticFrameSource] = []

    def factory(name: str) -> SyntheticFrameSource:
        made.append(source_from_name(name.replace("cornerbrowser:", "synthetic:", 1)))
        return made[-1]

    monkeypatch.setitem(doc_camera._SOURCES, "cornerbrowser", factory)
    port = free_port()
    config = parse_config(
        {
            "device_id": "corner-browser-kiosk",
            "role": "kiosk",
            "site": "qh/hx/golmud/hhl",
            "data_dir": str(tmp_path / "agent"),
            "health_interval_s": 3600,
            "tele_interval_s": 3600,
            "mqtt": {"url": f"mqtt://127.0.0.1:{free_port()}", "reconnect_min_s": 0.5},
            "screen": {"port": port},
            "peripherals": [
                {"type": "doc_camera_uvc", "id": "doccam", "width": FRAME[0],
                 "height": FRAME[1], "warmup_frames": 0, "flush_frames": 0, "ask_below": 1.0,
                 "device": "cornerbrowser:plain_desk?seed=11&size=1920x1080"},
            ],
        },
        source="test",
    )  # fmt: skip
    agent = Agent(config)
    task = asyncio.create_task(agent.run())
    try:
        async with asyncio.timeout(15):
            await agent.screen.settled.wait()
        assert agent.screen.serving
        camera = agent.peripherals["doccam"]
        assert isinstance(camera, DocCamera)
        yield Kiosk(agent, camera, made, f"http://127.0.0.1:{port}/status")
    finally:
        await agent.stop()
        await task


async def kiosk_page(browser: Browser, url: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(
        viewport=KIOSK, has_touch=True, is_mobile=True, device_scale_factor=1
    )
    page = await context.new_page()
    await page.goto(url)
    return context, page


async def touch_drag(cdp: CDPSession, start: tuple[float, float], end: tuple[float, float]) -> None:
    """One finger: down at ``start``, a few moves, up at ``end`` (real touch events)."""
    await cdp.send(
        "Input.dispatchTouchEvent",
        {"type": "touchStart", "touchPoints": [{"x": start[0], "y": start[1]}]},
    )
    for k in range(1, 9):
        x = start[0] + (end[0] - start[0]) * k / 8
        y = start[1] + (end[1] - start[1]) * k / 8
        await cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
        )
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


async def centre(page: Page, selector: str) -> tuple[float, float]:
    box = await page.locator(selector).bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


async def on_screen(page: Page, point: tuple[float, float]) -> tuple[float, float]:
    """A frame pixel (centre convention) → where it is shown on the kiosk, in CSS pixels."""
    box = await page.locator("#review-img").bounding_box()
    assert box is not None
    s = box["width"] / FRAME[0]
    return box["x"] + (point[0] + 0.5) * s, box["y"] + (point[1] + 0.5) * s


async def test_dragging_the_handles_by_touch_puts_the_corners_on_the_page(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with kiosk_with_scanner(tmp_path, monkeypatch) as kiosk:
        context, page = await kiosk_page(browser, kiosk.url)
        errors = watch_errors(page)
        await asyncio.wait_for(kiosk.agent.review_desk.watching.wait(), 15)  # the page polls
        scan = asyncio.create_task(reviewed_scan(kiosk.camera, None, kiosk.agent.review_desk))
        await expect(page.locator("#review")).to_be_visible(timeout=PHOTO_MS)
        await expect(page.locator("#review-title")).to_have_text("请确认文件的四个角")
        await expect(page.locator("#review-left")).to_contain_text("秒")
        first = await page.locator("#review-img").get_attribute("src")
        reads = kiosk.source[0].reads
        await page.locator("#review-retake").tap()  # 重拍: a new photo, a new review
        img = page.locator("#review-img")
        await expect(img).not_to_have_attribute("src", first or "", timeout=PHOTO_MS)
        assert kiosk.source[0].reads == reads + 1
        await page.wait_for_function("document.getElementById('review-img').naturalWidth > 0")
        scene = kiosk.source[0].last
        assert scene is not None
        cdp = await context.new_cdp_session(page)
        for i, corner in enumerate(scene.corners):
            handle = f'.handle[data-corner="{i}"]'
            # first away from the corner (wherever the detector put it), then onto it
            here = await centre(page, handle)
            await touch_drag(cdp, here, (here[0] + 60, here[1] + 45))
            moved = await centre(page, handle)
            assert abs(moved[0] - here[0] - 60) < 1.5 and abs(moved[1] - here[1] - 45) < 1.5
            await touch_drag(cdp, moved, await on_screen(page, corner))
        await keyboard_nudges_and_restores(page)
        await page.locator("#review-confirm").tap()
        result = await asyncio.wait_for(scan, PHOTO_MS / 1000)  # the rectification
        await expect(page.locator("#review")).to_be_hidden()
        assert result.corners_source == "citizen" and result.page_found and result.retakes == 1
        off = np.hypot(*(np.asarray(result.corners) - np.asarray(scene.corners)).T)
        assert off.max() <= NEAR_PX, off
        assert jaccard(result.corners, scene.corners, scene.page_size) >= 0.98
        assert errors == []
        await context.close()


async def keyboard_nudges_and_restores(page: Page) -> None:
    """A focused handle moves one preview pixel per arrow key, ten with Shift."""
    handle = page.locator('.handle[data-corner="2"]')
    x0 = float(await handle.get_attribute("data-x") or "nan")
    y0 = float(await handle.get_attribute("data-y") or "nan")
    await handle.focus()
    for key in ("ArrowRight", "ArrowRight", "ArrowRight", "Shift+ArrowDown"):
        await page.keyboard.press(key)
    assert float(await handle.get_attribute("data-x") or "nan") == pytest.approx(x0 + 3, abs=0.01)
    assert float(await handle.get_attribute("data-y") or "nan") == pytest.approx(y0 + 10, abs=0.01)
    for key in ("ArrowLeft", "ArrowLeft", "ArrowLeft", "Shift+ArrowUp"):
        await page.keyboard.press(key)
    assert float(await handle.get_attribute("data-x") or "nan") == pytest.approx(x0, abs=0.01)
    assert float(await handle.get_attribute("data-y") or "nan") == pytest.approx(y0, abs=0.01)


async def test_use_whole_photo_in_english(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with kiosk_with_scanner(tmp_path, monkeypatch) as kiosk:
        context, page = await kiosk_page(browser, f"{kiosk.url}?lang=en")
        errors = watch_errors(page)
        await asyncio.wait_for(kiosk.agent.review_desk.watching.wait(), 15)  # the page polls
        scan = asyncio.create_task(reviewed_scan(kiosk.camera, None, kiosk.agent.review_desk))
        await expect(page.locator("#review-title")).to_have_text(
            "Please check the corners of your document", timeout=PHOTO_MS
        )
        await expect(page.locator("#review-retake")).to_have_text("Retake")
        await page.locator("#review-whole").tap()
        result = await asyncio.wait_for(scan, PHOTO_MS / 1000)  # the rectification
        assert result.corners_source == "whole_frame" and (result.width, result.height) == FRAME
        await expect(page.locator("#review")).to_be_hidden()
        assert errors == []
        await context.close()
