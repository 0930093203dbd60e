"""The console's print/copy audit page in a real browser: records of two halls (written as the
recorder writes them) are reported by kind and period for the chosen site, charted, listed
with their content hash, and exported as CSV and Excel with the same rows; another site's
prints are not counted; the page reads in English; an operator without audit.read has no
link to it."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.async_api import Browser, Page, expect

from cloud.print_audit_daily import count_in
from cloud.print_audit_tables import PrintAuditRow
from fleet.access import PersonRole
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from tests.browser.console_login import signed_in_page
from tests.browser.test_screen_browser import watch_errors

HHL, TGLS = "qh/hx/golmud/hhl", "qh/hx/golmud/tgls"
SPAN = "start=2026-03-01T00:00:00%2B08:00&end=2026-04-01T00:00:00%2B08:00"


@pytest.fixture
async def world(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    opts = DemoOptions(data_dir=tmp_path, broker_url=mosquitto_url, port=0, kiosks=[])
    async with running_demo(opts) as w:
        yield w


async def _records(world: DemoWorld) -> None:
    assert world.sessions is not None
    rows = [  # (job, day of March 2026 at 10:00 Beijing, site, purpose, pages)
        ("a" * 32, 2, HHL, "guide", 4),
        ("b" * 32, 2, HHL, "copy", 2),
        ("c" * 32, 3, HHL, "copy", 1),
        ("d" * 32, 3, TGLS, "certificate", 1),
    ]
    records = []
    async with world.sessions() as s:
        for job, day, site, purpose, pages in rows:
            records.append(
                PrintAuditRow(
                    job_id=job,
                    at=datetime(2026, 3, day, 2, 0, tzinfo=UTC),
                    device_id="hhl-kiosk-01" if site == HHL else "tgls-kiosk-01",
                    site=site,
                    purpose=purpose,
                    job_kind="copy" if purpose == "copy" else "print_document",
                    pages=pages,
                    sha256=job[0] * 64,
                    content_sha256=None,
                    content_type="application/pdf",
                )
            )
        s.add_all(records)
        await count_in(s, records, ZoneInfo("Asia/Shanghai"))
        await s.commit()


async def _download(page: Page, button: str) -> bytes:
    async with page.expect_download() as got:
        await page.locator(button).click()
    path = Path(await (await got.value).path())
    return await asyncio.to_thread(path.read_bytes)


async def test_the_audit_by_kind_and_day_with_its_exports(
    browser: Browser, world: DemoWorld
) -> None:
    await _records(world)
    page = await signed_in_page(browser, world)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/print-audit?site={HHL}&{SPAN}")
    await expect(page.locator('#pa-kind-rows tr[data-kind="total"] td').nth(1)).to_have_text("3")
    copies = page.locator('#pa-kind-rows tr[data-kind="copy"] td')
    await expect(copies.nth(0)).to_have_text("复印件")
    await expect(copies.nth(2)).to_have_text("3")  # pages: 2 + 1
    day2 = page.locator('#pa-report-rows tr[data-period="2026-03-02"]')
    await expect(day2).to_have_count(2)
    await expect(page.locator("#pa-bars")).to_have_attribute("data-points", "3")
    await expect(page.locator("#pa-record-rows tr")).to_have_count(3)  # not TGLS's
    await expect(page.locator(f'#pa-record-rows tr[data-job="{"c" * 32}"]')).to_contain_text(
        "c" * 64
    )
    await expect(page.get_by_role("link", name="打印复印审计")).to_be_visible()

    data = (await _download(page, "#pa-csv")).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data)))
    assert [(r["kind"], r["pages"], r["site"]) for r in rows] == [
        ("guide", "4", HHL),
        ("copy", "2", HHL),
        ("copy", "1", HHL),
    ]
    book = load_workbook(io.BytesIO(await _download(page, "#pa-xlsx")))
    assert [r[3] for r in list(book["记录"].values)[2:]] == ["guide", "copy", "copy"]

    await page.locator("select[name=period]").select_option("month")
    await page.locator("#pa-show").click()
    await expect(page.locator('#pa-report-rows tr[data-period="2026-03-01"]')).to_have_count(2)
    await page.goto(f"{world.base_url}/print-audit?site={HHL}&{SPAN}&lang=en")
    await expect(page.locator('#pa-kind-rows tr[data-kind="guide"] td').nth(0)).to_have_text(
        "service guide"
    )
    assert errors == []


async def test_an_operator_has_no_audit_link(browser: Browser, world: DemoWorld) -> None:
    page = await signed_in_page(browser, world, "an-operator", PersonRole.OPERATOR)
    await page.goto(f"{world.base_url}/jobs")
    await expect(page.get_by_role("link", name="任务", exact=True)).to_be_visible()  # nav drawn
    await expect(page.get_by_role("link", name="审计日志")).to_have_count(0)
    await expect(page.get_by_role("link", name="打印复印审计")).to_have_count(0)
