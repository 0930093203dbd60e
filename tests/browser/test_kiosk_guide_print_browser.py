"""The whole path of a printed guide: an item saved and published in the cloud's catalogue
reaches the pilot kiosk (retained content → blob fetched with the kiosk's credentials →
verified → indexed), the citizen finds it, answers its situation and presses print, and the
kiosk's A4 printer receives a PDF.

It needs the catalogue API (i14-catalogue) and the print route (i14-guidex) of issue 14: until
those are merged it steps aside through ``require_or_skip`` (and fails under
KFLEET_REQUIRE_SERVERS=1, as CI runs)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from playwright.async_api import Browser, expect

from edge_agent.kiosk.guide import guide_of
from tests.browser.kiosk_kit import KIOSK, kiosk_world, touch_page
from tests.conftest import require_or_skip
from tests.kiosk.guide_agent_kit import DEPARTMENTS, THEMES, fund_withdrawal

CODE = "KT-GJJ-001"
PRINT = "/api/v1/kiosk/guide/{code}/print"


async def publish_item(client: httpx.AsyncClient) -> int:
    """Our item in the cloud's working copy, published; the new version."""
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path, who in (("/api/v1/guide/publish", "i14-catalogue"), (PRINT, "i14-guidex")):
        if path not in paths:
            require_or_skip(f"the cloud's {path} of issue 14 ({who}, merged)")
    for d in DEPARTMENTS:
        r = await client.post("/api/v1/guide/departments", json=d.model_dump(mode="json"))
        assert r.status_code < 300, r.text
    for t in THEMES:
        r = await client.post("/api/v1/guide/themes", json=t.model_dump(mode="json"))
        assert r.status_code < 300, r.text
    item = fund_withdrawal().model_copy(update={"code": CODE})
    r = await client.post("/api/v1/guide/items", json=item.model_dump(mode="json"))
    assert r.status_code in (201, 409), r.text
    r = await client.post("/api/v1/guide/publish", json={"note": "kiosk guide print test"})
    assert r.status_code == 201, r.text
    version: int = r.json()["version"]
    return version


async def test_a_published_item_is_found_and_printed_on_a4(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with (
        kiosk_world(tmp_path, mosquitto_url) as kw,
        httpx.AsyncClient(
            base_url=kw.world.base_url, headers=kw.world.headers, timeout=40
        ) as client,
    ):
        version = await publish_item(client)
        kiosk = kw.kiosk.agent.kiosk
        assert kiosk is not None
        async with asyncio.timeout(30):
            await guide_of(kiosk).wait_version(version)

        async with touch_page(browser, kw.url) as page:
            await page.locator("button.tile[data-screen='guide']").tap()
            await page.locator("#g-q").fill("zfgjjtq")  # 住房公积金提取 by its initials
            await page.locator(f".g-row[data-code='{CODE}']").tap()
            await page.locator("[data-question='reason'] [data-option='buy']").tap()
            await expect(page.locator("#g-materials")).to_contain_text("购房合同")
            async with page.expect_response("**/guide/items/*/print") as answer:
                await page.locator("#g-print").tap()
            printed = await (await answer.value).json()
            await expect(page.locator(".g-print-status .msg.ok")).to_be_visible()

        done = await client.get(f"/api/v1/jobs/{printed['job_id']}", params={"wait_s": 30})
        assert done.json()["state"] == "succeeded", done.text
        pdfs = list(kw.world.a4_dir(KIOSK).glob("**/*.pdf"))
        assert len(pdfs) == 1 and pdfs[0].read_bytes().startswith(b"%PDF")
