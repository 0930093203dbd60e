"""The hall screen in a real browser (Debian's Chromium, as in kiosk mode): a new call shows
once published, pushed by the agent (no polling; how fast is benchmarks/hall.py's to measure),
and is announced once;
a newly published floor plan replaces the old one; an agent restarted while the broker is
down still shows the last content, and the open page reconnects to it by itself."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from playwright.async_api import Browser, Locator, Page, expect

from kfleet.world.net import free_port
from tests.agent.hall_kit import (
    BlobServer,
    cloud_client,
    hall_config,
    live,
    plan,
    png,
    publish,
    publish_on,
    running,
    site_of,
    until,
    windows,
)
from tests.browser.test_screen_browser import watch_errors

SEEN_AT = """(ticket) => new Promise((resolve) => {
  const el = document.getElementById("current-ticket");
  const check = () => {
    if (el.textContent === ticket) { window.__seenAt = Date.now(); return true; }
  };
  if (check()) return resolve(true);
  new MutationObserver((_, obs) => { if (check()) obs.disconnect(); })
    .observe(el, { childList: true, characterData: true, subtree: true });
  resolve(false);
})"""


async def opened(browser: Browser, url: str) -> Page:
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    await page.goto(url)
    await expect(page.locator("body")).to_have_attribute("data-revision", "0")
    return page


async def test_a_new_call_shows_within_a_second_and_is_announced_once(
    browser: Browser, mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    site, port = site_of(uid), free_port()
    async with BlobServer(f"hall-{uid}").running() as blobs:
        cfg = hall_config(mosquitto_url, uid, tmp_path / "d", blobs.url, port=port)
        async with running(cfg):
            page = await opened(browser, f"http://127.0.0.1:{port}/hall")
            errors = watch_errors(page)
            await expect(page.locator("#no-calls")).to_be_visible()
            assert await page.evaluate(SEEN_AT, "A012") is False

            async with cloud_client(mosquitto_url) as cloud:  # connected before the clock starts
                published = time.time() * 1000
                await publish_on(cloud, site, live(site, 1, [("A012", "3")]))
            await expect(page.locator("#current-ticket")).to_have_text("A012", timeout=5000)
            elapsed = await page.evaluate("window.__seenAt") - published
            # printed, not asserted: a wall-time bound fails on a loaded CI machine; the
            # latency target (< 1 s) is measured by benchmarks/hall.py
            print(f"hall screen: call published → on screen in {elapsed:.0f} ms")
            await expect(page.locator("#current-window")).to_have_text("3号窗口")
            body = page.locator("body")
            await expect(body).to_have_attribute("data-last-call", "请 A012 号到 3 号窗口办理")
            await expect(body).to_have_attribute("data-announced", "1")
            await expect(page.locator('#queues [data-queue="a"] .count')).to_have_text("4人")

            # the next call is announced; the list keeps the older one
            await publish(mosquitto_url, site, live(site, 2, [("A013", "1"), ("A012", "3")]))
            await expect(page.locator("#current-ticket")).to_have_text("A013")
            await expect(page.locator("#calls tr")).to_have_text(["A0123号窗口"])
            await expect(body).to_have_attribute("data-announced", "2")
            # a recall of A012 is announced again (once)
            calls = [("A012", "3"), ("A013", "1")]
            await publish(mosquitto_url, site, live(site, 3, calls, recall=1))
            await expect(body).to_have_attribute("data-last-call", "请 A012 号到 3 号窗口办理")
            await expect(body).to_have_attribute("data-announced", "3")
            await publish(mosquitto_url, site, live(site, 4, calls, recall=1))  # no new call
            await expect(body).to_have_attribute("data-revision", "4")
            assert await body.get_attribute("data-announced") == "3"
            assert errors == []
            await page.close()


async def test_a_published_floor_plan_replaces_the_old_one(
    browser: Browser, mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    site, port, dev = site_of(uid), free_port(), f"hall-{uid}"
    red, blue = png((200, 0, 0)), png((0, 0, 200))
    async with BlobServer(dev).running() as blobs:
        blobs.add(red)
        blobs.add(blue)
        cfg = hall_config(mosquitto_url, uid, tmp_path / "d", blobs.url, port=port)
        async with running(cfg):
            page = await opened(browser, f"http://127.0.0.1:{port}/hall")
            errors = watch_errors(page)
            img = page.locator("#plan-img")
            await publish(mosquitto_url, site, plan(site, 1, red, here=dev))
            await expect(img).to_have_attribute("src", _blob(red))
            await expect(page.locator(".mark.here")).to_have_text("您在这里")
            await expect(page.locator(".mark.window")).to_have_text(["1", "3"])

            await publish(mosquitto_url, site, plan(site, 2, blue, here=dev))
            await expect(img).to_have_attribute("src", _blob(blue))
            await expect(page.locator("body")).to_have_attribute("data-plan-version", "2")
            assert await loaded_width(img) == 64
            assert errors == []
            await page.close()


async def test_an_agent_restarted_with_the_broker_down_still_shows_the_last_content(
    browser: Browser, mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    site, port, dev, data = site_of(uid), free_port(), f"hall-{uid}", tmp_path / "d"
    red = png((200, 0, 0))
    async with BlobServer(dev).running() as blobs:
        blobs.add(red)
        async with running(hall_config(mosquitto_url, uid, data, blobs.url, port=port)) as agent:
            page = await opened(browser, f"http://127.0.0.1:{port}/hall")
            await publish(mosquitto_url, site, windows(site, 1))
            await publish(mosquitto_url, site, live(site, 7, [("A021", "3")]))
            await publish(mosquitto_url, site, plan(site, 3, red, here=dev))
            await until(agent, lambda: agent.hall.plan is not None)
            await expect(page.locator("#current-ticket")).to_have_text("A021")

    dead_broker = f"mqtt://127.0.0.1:{free_port()}"  # nothing listens: the broker is down
    cfg = hall_config(dead_broker, uid, data, "http://127.0.0.1:9", port=port)
    async with running(cfg, connected=False):
        # the open page reconnects to the restarted agent by itself: it gets the new agent's
        # state (its revision counts from 0 again), which says the fleet is out of reach
        await expect(page.locator("body")).to_have_attribute("data-revision", "0", timeout=10_000)
        await expect(page.locator("#offline")).to_be_visible()
        await expect(page.locator("#current-ticket")).to_have_text("A021")
        fresh = await browser.new_page()
        await fresh.goto(f"http://127.0.0.1:{port}/hall")
        await expect(fresh.locator("#current-ticket")).to_have_text("A021")
        await expect(fresh.locator("#plan-img")).to_have_attribute("src", _blob(red))
        await expect(fresh.locator("#offline")).to_be_visible()
        assert await loaded_width(fresh.locator("#plan-img")) == 64
        await fresh.close()
        await page.close()


async def loaded_width(img: Locator) -> int:
    """The image's width once the browser has loaded it: ``decode()`` settles when loading ends
    (and rejects if it failed), so the check does not race the load that ``src`` started."""
    width = await img.evaluate("(i) => i.decode().then(() => i.naturalWidth, (e) => String(e))")
    assert isinstance(width, int), f"the plan image did not load: {width}"
    return width


def _blob(data: bytes) -> str:
    return "/screen/hall/blob/" + hashlib.sha256(data).hexdigest()
