"""The console's jobs page in a real browser (Chromium via Playwright, see conftest.py), on a
real demo world (broker, cloud, a kiosk agent with the ESC/POS printer simulator and the
document camera): the list and its filters, a receipt job's detail showing the proof PNG the
cloud drew from the bytes the agent printed (at the paper's dot width), a scan's JPEG and PDF, a
queued job canceled from its detail, and the page in English."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from fleet.sites import SiteLevel, SiteSpec, golmud
from kfleet.world.demo import DemoOptions, DemoWorld, queue_ticket, running_demo
from kfleet.world.world import KioskSpec
from protocols.escpos.layout import PAPER_80MM
from tests.browser.console_login import signed_in_page
from tests.browser.test_screen_browser import watch_errors
from tests.cloudkit import RECEIPT_PRINTER, FakeDevice


@dataclass(frozen=True)
class Jobs:
    world: DemoWorld
    site: str
    receipt: str  # a print_receipt job that succeeded, with its proof
    scan: str  # a scan job that succeeded, with its JPEG and PDF


@pytest.fixture
async def world(tmp_path: Path, uid: str, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    sites = golmud(
        SiteSpec(f"j{uid}", f"任务页测试街道{uid}", SiteLevel.TOWN),
        SiteSpec(f"q{uid}", f"排队测试街道{uid}", SiteLevel.TOWN),
    )
    kiosk = KioskSpec(
        f"jobs-kiosk-{uid}", f"qh/hx/golmud/j{uid}", "任务页测试 1号自助终端", full_peripherals=True
    )
    opts = DemoOptions(
        data_dir=tmp_path, broker_url=mosquitto_url, port=0, kiosks=[kiosk], sites=sites
    )
    async with running_demo(opts) as w:
        yield w


async def _run(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    r = await client.post("/api/v1/jobs", json=body)
    assert r.status_code == 201, r.text
    r = await client.get(f"/api/v1/jobs/{r.json()['id']}", params={"wait_s": 30})
    job: dict[str, Any] = r.json()
    assert job["state"] == "succeeded", job
    return job


@pytest.fixture
async def jobs(world: DemoWorld, uid: str) -> Jobs:
    device = {"device_id": f"jobs-kiosk-{uid}"}
    async with httpx.AsyncClient(
        base_url=world.base_url, headers=world.headers, timeout=40
    ) as client:
        ticket = queue_ticket("任务页测试", "J001")
        receipt = await _run(client, {"kind": "print_receipt", "target": device, "params": ticket})
        assert "proof" in receipt["result"], receipt["result"]
        scan = await _run(client, {"kind": "scan", "target": device, "params": {}})
    return Jobs(world, f"qh/hx/golmud/j{uid}", receipt["id"], scan["id"])


async def _natural_width(page: Page, selector: str) -> int:
    """The natural width of the image once it has loaded (0: it failed to load)."""
    handle = await page.wait_for_function(
        """(sel) => { const img = document.querySelector(sel);
                      return img && img.complete ? String(img.naturalWidth) : null; }""",
        arg=selector,
        timeout=15_000,
    )
    return int(await handle.json_value())


async def test_list_filter_and_a_receipts_proof(browser: Browser, jobs: Jobs) -> None:
    page = await signed_in_page(browser, jobs.world)
    errors = watch_errors(page)
    await page.goto(f"{jobs.world.base_url}/jobs?site={jobs.site}")
    receipt_row = page.locator(f'tr[data-id="{jobs.receipt}"]')
    scan_row = page.locator(f'tr[data-id="{jobs.scan}"]')
    await expect(receipt_row).to_contain_text("打印小票")
    await expect(receipt_row).to_contain_text("成功")
    await expect(scan_row).to_contain_text("扫描")

    await page.select_option('select[name="kind"]', "print_receipt")
    await page.click("#jobs-search")
    await expect(scan_row).to_have_count(0)
    await expect(receipt_row).to_be_visible()
    assert "kind=print_receipt" in page.url

    await receipt_row.locator("a").click()
    detail = page.locator("#job-detail")
    await expect(detail).to_be_visible()
    await expect(detail).to_have_attribute("data-job", jobs.receipt)
    proof = detail.locator('figure[data-role="proof"]')
    await expect(proof).to_contain_text("打印小票预览")
    assert await _natural_width(page, 'figure[data-role="proof"] img') == PAPER_80MM
    await expect(page.locator("#job-events li")).to_have_count(5)  # queued … succeeded
    await expect(page.locator("#job-params")).to_contain_text("J001")

    await page.go_back()  # the filtered list again
    await expect(page.locator("#jobs-list")).to_be_visible()
    await expect(scan_row).to_have_count(0)

    await page.goto(f"{jobs.world.base_url}/")  # the devices page links each job to its detail
    await page.locator(f'[data-job="{jobs.receipt}"] a').click()
    await expect(page.locator("#job-detail")).to_have_attribute("data-job", jobs.receipt)
    assert errors == []
    await page.close()


async def test_a_scans_jpeg_and_pdf_and_english(browser: Browser, jobs: Jobs) -> None:
    page = await signed_in_page(browser, jobs.world)
    errors = watch_errors(page)
    await page.goto(f"{jobs.world.base_url}/jobs?id={jobs.scan}")
    await expect(page.locator('figure[data-role="jpeg"]')).to_contain_text("扫描图像")
    assert await _natural_width(page, 'figure[data-role="jpeg"] img') > 0
    pdf = page.locator('a[data-role="pdf"]')
    href = await pdf.get_attribute("href")
    assert href == f"/api/v1/jobs/{jobs.scan}/attachments/pdf"
    r = await page.request.get(f"{jobs.world.base_url}{href}")
    assert r.status == 200 and (await r.body()).startswith(b"%PDF")

    await page.goto(f"{jobs.world.base_url}/jobs?lang=en&id={jobs.receipt}")
    await expect(page.locator('figure[data-role="proof"]')).to_contain_text(
        "Receipt preview (what the paper showed)"
    )
    await expect(page.locator("#job-summary")).to_contain_text("succeeded")
    await expect(page.locator("h1")).to_have_text("Jobs")
    assert errors == []
    await page.close()


async def test_a_queued_job_is_canceled_from_its_detail(
    browser: Browser, world: DemoWorld, uid: str, mosquitto_url: str
) -> None:
    """A site job waits (the site's only printer is offline): 取消任务 ends it at once."""
    site = f"qh/hx/golmud/q{uid}"
    async with (
        FakeDevice(mosquitto_url, f"q-{uid}", site=site, peripherals=[RECEIPT_PRINTER]) as dev,
        httpx.AsyncClient(base_url=world.base_url, headers=world.headers, timeout=30) as client,
    ):
        await dev.birth()
        page = await signed_in_page(browser, world)
        errors = watch_errors(page)
        await page.goto(f"{world.base_url}/")  # the devices page: wait until the cloud says so
        await dev.state(False)
        card = page.locator(f'[data-device="q-{uid}"] h3')
        await expect(card).to_contain_text("离线", timeout=10_000)
        body = {
            "kind": "print_receipt",
            "target": {"site": site},
            "params": queue_ticket("排队", "Q1"),
        }
        r = await client.post("/api/v1/jobs", json=body)
        assert r.status_code == 201 and r.json()["state"] == "queued", r.text
        job_id = r.json()["id"]
        await page.goto(f"{world.base_url}/jobs?id={job_id}")
        await expect(page.locator("#job-summary")).to_contain_text("排队")
        await page.click("#job-cancel")
        await expect(page.locator("#job-status")).to_contain_text("任务已取消")
        await expect(page.locator("#job-detail")).to_have_attribute("data-state", "canceled")
        await expect(page.locator("#job-cancel")).to_have_count(0)
        got = (await client.get(f"/api/v1/jobs/{job_id}")).json()
        assert got["state"] == "canceled"
        assert errors == []
        await page.close()
