"""The enrollment page in Chromium against a real cloud over HTTP: mint a token for a site
and role (its QR code and text shown once, with the expiry), the token works for a device,
the token list shows its state, and a device is revoked with a reason."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, expect

from cloud.db.models import Device
from tests.browser.people_served import Served, served_cloud
from tests.browser.test_screen_browser import watch_errors
from tests.identity_kit import make_console_login

DATED = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
TOKEN = re.compile(r"^kfe_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$")
HHL = "qh/hx/golmud/hhl"


@pytest.fixture
async def cloud(tmp_path: Path) -> AsyncIterator[Served]:
    async with served_cloud(tmp_path, public_url="https://kf.example") as served:
        yield served


async def signed_in(browser: Browser, cloud: Served) -> BrowserContext:
    login = await make_console_login(cloud.parts.sessions, "admin")
    context = await browser.new_context()
    await context.add_cookies(
        [
            {"name": "kfleet_session", "value": login.cookie, "url": cloud.base_url},
            {"name": "kfleet_csrf", "value": login.csrf, "url": cloud.base_url},
        ]
    )
    return context


async def test_mint_shows_qr_and_token_once_and_the_token_enrolls(
    browser: Browser, cloud: Served
) -> None:
    context = await signed_in(browser, cloud)
    page = await context.new_page()
    errors = watch_errors(page)
    await page.goto(f"{cloud.base_url}/enrollment")
    await expect(page.locator("#kf-user")).to_contain_text("admin")
    await page.select_option("#mint-site", HHL)
    await page.select_option("#mint-role", "window")
    await page.fill("#mint-device", "hhl-win-09")
    await page.click("#mint button[type=submit]")
    await expect(page.locator("#minted")).to_be_visible()
    await expect(page.locator("#minted")).to_contain_text("只显示这一次")
    await expect(page.locator("#minted-expires")).to_have_text(DATED)
    await expect(page.locator("#minted-token")).to_have_text(TOKEN)
    token = (await page.locator("#minted-token").text_content() or "").strip()
    assert TOKEN.match(token), token
    src = await page.locator("#minted-qr").get_attribute("src") or ""
    assert src.startswith("data:image/svg+xml") and "svg" in src
    qr_box = await page.locator("#minted-qr").bounding_box()
    assert qr_box is not None and qr_box["width"] > 100  # the image decoded and is shown
    await page.click("#copy")
    await expect(page.locator("#copied")).to_have_text("已复制")
    row = page.locator("#tokens tbody tr").first
    await expect(row).to_contain_text("未使用")
    await expect(row).to_contain_text("窗口电脑")
    async with httpx.AsyncClient(base_url=cloud.base_url, timeout=30) as http:
        r = await http.post("/api/v1/enroll", json={"token": token})
    assert r.status_code == 200 and r.json()["device_id"] == "hhl-win-09", r.text
    await page.reload()
    await expect(page.locator("#tokens tbody tr").first).to_contain_text("已使用")
    await expect(page.locator('[data-device="hhl-win-09"]')).to_contain_text("离线")
    assert errors == []
    await context.close()


async def test_revoke_a_device_with_a_reason_in_english(browser: Browser, cloud: Served) -> None:
    context = await signed_in(browser, cloud)
    page = await context.new_page()
    errors = watch_errors(page)
    await page.goto(f"{cloud.base_url}/enrollment?lang=en")
    await page.select_option("#mint-site", HHL)
    await page.fill("#mint-device", "hhl-kiosk-31")
    await page.click("#mint button[type=submit]")
    await expect(page.locator("#minted")).to_contain_text("shown only this once")
    await expect(page.locator("#minted-token")).to_have_text(TOKEN)
    token = (await page.locator("#minted-token").text_content() or "").strip()
    async with httpx.AsyncClient(base_url=cloud.base_url, timeout=30) as http:
        assert (await http.post("/api/v1/enroll", json={"token": token})).status_code == 200
    await page.reload()
    row = page.locator('[data-device="hhl-kiosk-31"]')
    await row.get_by_role("button", name="Revoke").click()
    await row.get_by_role("button", name="Confirm revoke").click()  # no reason: not sent
    await expect(row.get_by_label("Reason (required)")).to_be_focused()
    await row.get_by_label("Reason (required)").fill("screen cracked, replaced")
    await row.get_by_role("button", name="Confirm revoke").click()
    await expect(row).to_contain_text("Revoked: screen cracked, replaced")
    async with cloud.parts.sessions() as s:
        device = await s.get(Device, "hhl-kiosk-31")
    assert device is not None and device.revoked_at is not None
    assert device.revoked_reason == "screen cracked, replaced"
    assert errors == []
    await context.close()
