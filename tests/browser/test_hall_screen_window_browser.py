"""The window screen in a real browser: the window's number, name, services and status, the
staff member signed in (name and photo from the roster), the ticket served, and "please rate
our service" while it is served and just after; the roster when nobody is signed in."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from kfleet.world.net import free_port
from tests.agent.hall_kit import (
    BlobServer,
    hall_config,
    live,
    png,
    publish,
    running,
    site_of,
    until,
    windows,
)
from tests.browser.test_screen_browser import watch_errors


async def test_window_screen_follows_staff_ticket_and_rating_prompt(
    browser: Browser, mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    site, port = site_of(uid), free_port()
    face = png((10, 150, 10), (30, 40))
    async with BlobServer(f"hall-{uid}").running() as blobs:
        blobs.add(face)
        cfg = hall_config(mosquitto_url, uid, tmp_path / "d", blobs.url, port=port, window="3")
        async with running(cfg) as agent:
            await publish(mosquitto_url, site, windows(site, 1, face))
            await publish(mosquitto_url, site, live(site, 1, [("A011", "3")], serving="A011"))
            await until(agent, lambda: agent.hall.blobs.fetched == 1)
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            errors = watch_errors(page)
            await page.goto(f"http://127.0.0.1:{port}/window")
            await expect(page.locator("#number")).to_have_text("3号窗口")
            await expect(page.locator("#name")).to_have_text("社保窗口")
            await expect(page.locator("#status")).to_have_text("正在服务")
            await expect(page.locator("#staff-title")).to_have_text("当前值班")
            card = page.locator('#staff [data-staff="0031"]')
            await expect(card.locator(".staff-name")).to_have_text("王丽")
            await expect(card.locator(".staff-title")).to_have_text("科员 · 工号 0031")
            photo = card.locator("img")
            await expect(photo).to_have_attribute("alt", "王丽")
            assert await photo.evaluate("(i) => i.decode().then(() => i.naturalWidth)") == 30
            await expect(page.locator("#ticket")).to_have_text("A011")
            await expect(page.locator("#rate")).to_be_visible()

            # completed: the prompt stays a little while; nobody signed in shows the roster
            await publish(mosquitto_url, site, live(site, 2, [("A011", "3")], staff_no=""))
            await expect(page.locator("#ticket")).to_have_text("—")
            await expect(page.locator("#staff-title")).to_have_text("本窗口工作人员")
            await expect(page.locator("#rate")).to_be_visible()

            await page.goto(f"http://127.0.0.1:{port}/window?number=3&lang=en")
            await expect(page.locator("#number")).to_have_text("Window 3")
            await expect(page.locator("#name")).to_have_text("Social insurance")
            await expect(page.locator("#rate")).to_be_hidden()  # a fresh page saw no service

            await page.goto(f"http://127.0.0.1:{port}/window?number=9")
            await expect(page.locator("#unknown")).to_be_visible()
            assert errors == []
            await page.close()
