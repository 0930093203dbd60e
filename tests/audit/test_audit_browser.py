"""The audit page in Chromium: an auditor's session sees the log, filters by action, pages
with "more", reads results in words, and downloads the CSV of the current filters."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from cloud.settings import Settings
from fleet.access import PersonRole
from tests.audit.audit_db import Row, write_rows
from tests.audit.served_cloud import Served, served_cloud
from tests.browser.test_screen_browser import watch_errors
from tests.identity_kit import make_console_login

HHL = "qh/hx/golmud/hhl"
DATED = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
JOBS = 55  # more than one page (50)


@pytest.fixture
async def cloud(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[Served]:
    settings = Settings(data_dir=tmp_path, mqtt_url=mosquitto_url, demo=True)
    async with served_cloud(settings) as served:
        rows = [Row("user:op", "device.revoke", HHL, "ok", "设备已注销：丢失", "device:k1")]
        rows += [Row("user:tech", "device.revoke", HHL, "denied", "无权限", "device:k2")]
        rows += [Row("user:op", "job.create", HHL, message=f"小票 {i}") for i in range(JOBS)]
        await write_rows(served.parts.sessions, rows)
        yield served


async def signed_in_page(browser: Browser, cloud: Served, path: str) -> Page:
    login = await make_console_login(cloud.parts.sessions, "auditor1", PersonRole.AUDITOR)
    context = await browser.new_context(accept_downloads=True)
    await context.add_cookies(
        [
            {"name": "kfleet_session", "value": login.cookie, "url": cloud.base_url},
            {"name": "kfleet_csrf", "value": login.csrf, "url": cloud.base_url},
        ]
    )
    page = await context.new_page()
    await page.goto(cloud.base_url + path)
    return page


async def test_filter_by_action_page_and_export(browser: Browser, cloud: Served) -> None:
    page = await signed_in_page(browser, cloud, "/audit")
    errors = watch_errors(page)
    table = page.locator("#audit-rows tr")
    await expect(table).to_have_count(50)  # the first page, newest first
    await expect(page.locator("#kf-nav")).to_contain_text("审计日志")
    await page.fill("input[name=action]", "device.revoke")
    await page.click("#audit-search")
    await expect(table).to_have_count(2)
    denied, ok = table.nth(0), table.nth(1)
    await expect(denied.locator(".result")).to_have_text("拒绝")
    await expect(denied.locator(".badge.denied")).to_be_visible()
    await expect(ok.locator(".result")).to_have_text("成功")
    await expect(ok.locator(".message")).to_have_text("设备已注销：丢失")
    await expect(ok.locator(".time")).to_have_text(DATED)
    await expect(ok.locator(".site")).to_have_text(HHL)
    await expect(page.locator("#audit-more")).to_be_hidden()

    async with page.expect_download() as info:
        await page.click("#audit-export")
    download = await info.value
    data = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert download.suggested_filename.startswith("kfleet-audit-")
    assert data.startswith(b"\xef\xbb\xbfid,time_utc,actor")
    text = data.decode("utf-8")
    assert text.count("device.revoke") == 2 and "job.create" not in text
    assert "设备已注销：丢失" in text

    await page.fill("input[name=action]", "job.")
    await page.click("#audit-search")
    await expect(table).to_have_count(50)
    await page.click("#audit-more")
    await expect(table).to_have_count(JOBS)
    await expect(page.locator("#audit-more")).to_be_hidden()
    ids = [int(i) for i in await table.evaluate_all("rs => rs.map(r => r.dataset.id)")]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == JOBS
    assert errors == []


async def test_english_labels_and_a_bad_filter_said_in_words(
    browser: Browser, cloud: Served
) -> None:
    page = await signed_in_page(browser, cloud, "/audit?lang=en")
    await expect(page.locator("h1")).to_have_text("Audit log")
    await expect(page.locator("#audit-rows tr").first.locator(".result")).to_have_text("ok")
    await page.fill("input[name=site]", "Not A Site")
    await page.click("#audit-search")
    await expect(page.locator("#audit-status.error")).to_contain_text("query.site")
