"""The hall end to end, as a citizen and a window clerk see it: a ticket taken, "call next"
pressed on the window's simulated call button (serial frames → agent → MQTT → cloud queue →
retained ``live`` body → the hall-screen agent → its page over SSE) shows on the hall screen in
Chromium (how fast: benchmarks/hall.py); "start" and "complete" on the same button make the
cloud ask the window's simulated 好差评 pad, and the citizen's answer is stored against that
ticket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from kfleet.world.demo import PILOT_KIOSKS, DemoOptions, DemoWorld, running_demo
from kfleet.world.net import free_port
from simulators.rating_pad import Rating
from tests.browser.test_hall_screen_browser import SEEN_AT

HHL = "qh/hx/golmud/hhl"
WINDOW, SCREEN = "hhl-window-01", "hhl-screen-01"


@pytest.fixture
async def hall(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[tuple[DemoWorld, int]]:
    port = free_port()
    opts = DemoOptions(
        data_dir=tmp_path,
        broker_url=mosquitto_url,
        port=0,
        kiosks=[k for k in PILOT_KIOSKS if k.device_id in (WINDOW, SCREEN)],
        screens={SCREEN: {"enabled": True, "port": port}},
    )
    async with running_demo(opts) as world:
        yield world, port


async def rated(api: httpx.AsyncClient, ticket_no: str) -> dict[str, object]:
    """The stored rating of ``ticket_no`` (polling the API: the rating has no push)."""
    async with asyncio.timeout(30):
        while True:
            r = await api.get("/api/v1/hall/ratings", params={"site": HHL})
            items = [i for i in r.json()["items"] if i["ticket_no"] == ticket_no]
            if items:
                return dict(items[0])
            await asyncio.sleep(0.2)


async def test_call_button_to_hall_screen_and_pad_rating(
    browser: Browser, hall: tuple[DemoWorld, int]
) -> None:
    world, port = hall
    window = next(k for k in world.kiosks if k.spec.device_id == WINDOW)
    assert window.call_button is not None and window.rating_pad is not None
    q = {"site": HHL}
    async with httpx.AsyncClient(base_url=world.base_url, headers=world.headers, timeout=30) as api:
        await api.post("/api/v1/hall/windows/1/sign-in", params=q, json={"staff_no": "H0101"})
        assert (
            await api.post("/api/v1/hall/windows/1/status", params=q, json={"status": "open"})
        ).is_success
        taken = await api.post("/api/v1/hall/tickets", params=q, json={"service": "residence"})
        assert taken.status_code == 201, taken.text
        ticket = taken.json()["ticket_no"]

        page = await browser.new_page(viewport={"width": 1920, "height": 1080})
        await page.goto(f"http://127.0.0.1:{port}/hall")
        await expect(page.locator("#current-ticket")).to_be_attached()
        assert await page.evaluate(SEEN_AT, ticket) is False

        pressed = time.time() * 1000
        await window.call_button.press(1)  # call next
        await expect(page.locator("#current-ticket")).to_have_text(ticket, timeout=10_000)
        elapsed = await page.evaluate("window.__seenAt") - pressed
        # printed, not asserted: a wall-time bound fails on a loaded CI machine; the
        # latency target (< 1 s) is measured by benchmarks/hall.py
        print(f"call button pressed → {ticket} on the hall screen in {elapsed:.0f} ms")
        await expect(page.locator("#current-window")).to_contain_text("1")

        window.rating_pad.script.append(Rating(4))
        await window.call_button.press(2)  # the citizen sits down: serving
        await window.call_button.press(3)  # complete: the cloud asks the pad
        rating = await rated(api, ticket)
        assert (rating["level"], rating["window_no"], rating["source"]) == (4, "1", "pad")
        assert rating["staff_no"] == "H0101"
        asked = window.rating_pad.asked
        assert asked and ticket in str(asked[-1].case)
