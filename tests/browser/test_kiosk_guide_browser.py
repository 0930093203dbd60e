"""办事指南 on a pilot kiosk, as a citizen uses it: find an item by its pinyin initials, open it,
answer its situations and watch the material list change; the search and item screens pass
WCAG 2.2 AA. The catalogue is handed to the kiosk's hall content the way the link would (blob
verified in the cache, body accepted), so this runs without the cloud's catalogue service;
test_kiosk_guide_print_browser.py takes the whole path through the cloud."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from playwright.async_api import Browser, Locator, Page, Route, expect

from edge_agent.agent import Agent
from edge_agent.kiosk.guide import guide_of
from protocols.guide import CATALOGUE
from tests.browser.kiosk_kit import HHL, assert_accessible, kiosk_world, touch_page
from tests.kiosk.guide_agent_kit import body_for, catalogue

#: far above any version the demo's cloud publishes, so the test's catalogue is the one held
VERSION = 10_000


async def hand_catalogue(agent: Agent) -> None:
    data = catalogue(VERSION).model_dump_json().encode()
    body = body_for(HHL, data, VERSION)
    path = agent.hall.blobs.path(body.blob.sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    assert agent.hall.accept(CATALOGUE, body)
    assert agent.kiosk is not None
    async with asyncio.timeout(15):
        await guide_of(agent.kiosk).wait_version(VERSION)


def chip(page: Page, name: str) -> Locator:
    """The filter chip named exactly ``name`` (a department's name may contain a theme's)."""
    return page.locator(".chip").filter(has_text=re.compile(f"^{re.escape(name)}$"))


async def materials(page: Page) -> list[str]:
    return await page.locator("#g-materials > ul > li > strong").all_inner_texts()


async def test_find_by_initials_and_answer_situations(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with kiosk_world(tmp_path, mosquitto_url) as kw:
        await hand_catalogue(kw.kiosk.agent)
        async with touch_page(browser, kw.url) as page:
            await page.locator("button.tile[data-screen='guide']").tap()  # touch 1
            await expect(page.locator(".sample-banner")).to_be_visible()
            await expect(page.locator(".g-row").first).to_be_visible()
            await assert_accessible(page, "guide search")

            await page.locator("#g-q").fill("gjj")
            rows = page.locator(".g-row")
            await expect(rows).to_have_count(2)
            await expect(rows.first).to_have_attribute("data-code", "GJJ-001")
            await rows.first.tap()  # touch 2

            await expect(page.locator("#k-title")).to_have_text("住房公积金提取")
            await expect(page.locator("#g-materials")).to_be_visible()
            assert await materials(page) == ["居民身份证"]
            await assert_accessible(page, "guide item")

            await page.locator("[data-question='reason'] [data-option='buy']").tap()
            loan = page.locator("[data-question='loan']")
            await expect(loan).to_be_visible()
            await expect(page.locator("#g-materials")).to_contain_text("购房合同")
            await loan.locator("[data-option='yes']").tap()
            await expect(page.locator("#g-materials")).to_contain_text("借款合同")
            assert await materials(page) == ["居民身份证", "购房合同", "借款合同"]

            await page.locator("[data-question='reason'] [data-option='rent']").tap()
            await expect(loan).to_have_count(0)
            await expect(page.locator("#g-materials")).to_contain_text("房屋租赁合同")
            assert await materials(page) == ["居民身份证", "房屋租赁合同"]
            pressed = page.locator("[data-question='reason'] [aria-pressed='true']")
            await expect(pressed).to_have_attribute("data-option", "rent")
            qr = page.locator(".g-qr img")  # the phone gets the same situation
            await expect(qr).to_have_attribute("src", re.compile(r"/qr\.svg\?reason=rent$"))
            await assert_accessible(page, "guide item, situation answered")


async def test_three_touches_to_an_item_and_chips_narrow_the_list(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with kiosk_world(tmp_path, mosquitto_url) as kw:
        await hand_catalogue(kw.kiosk.agent)
        async with touch_page(browser, kw.url + "?lang=en", lang="en") as page:
            rows = page.locator(".g-row")
            await page.locator("button.tile[data-screen='guide']").tap()  # touch 1
            await expect(rows).to_have_count(5)
            await chip(page, "Housing").tap()  # touch 2
            await expect(rows).to_have_count(2)
            await rows.filter(has_text="Housing provident fund withdrawal").tap()  # touch 3
            await expect(page.locator("#k-title")).to_have_text("Housing provident fund withdrawal")
            qr = page.locator(".g-qr img")
            await expect(qr).to_be_visible()
            # the <img> has width/height attributes, so it is visible before its SVG loads, and
            # its src changes once the situation is answered: await that, then the decode
            await expect(page.locator("#g-situation")).to_be_attached()
            assert await qr.evaluate("img => img.decode().then(() => img.naturalWidth > 0)")

            await page.get_by_role("button", name="Back", exact=True).tap()
            await expect(rows).to_have_count(2)  # the filter is kept coming back
            await chip(page, "Housing").tap()  # pressed again: off
            await expect(rows).to_have_count(5)
            await chip(page, "Organisations").tap()
            await expect(rows).to_have_count(2)  # legal person + both
            await chip(page, "Household registration").tap()
            await expect(rows).to_have_count(1)
            await expect(rows).to_have_attribute("data-code", "GA-003")
            await assert_accessible(page, "guide search, filtered, English")


async def test_late_answers_and_a_guide_not_downloaded_yet(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with kiosk_world(tmp_path, mosquitto_url) as kw:
        await hand_catalogue(kw.kiosk.agent)
        async with touch_page(browser, kw.url) as page:
            held: asyncio.Queue[Route] = asyncio.Queue()
            await page.route("**/kiosk/api/guide/info", held.put_nowait)
            await page.locator("button.tile[data-screen='guide']").tap()
            late = await asyncio.wait_for(held.get(), 15)  # the guide asked; its answer waits
            await page.locator("#k-home").tap()
            await expect(page.locator("button.tile[data-screen='guide']")).to_be_visible()
            async with page.expect_response("**/kiosk/api/guide/info"):
                await late.continue_()
            await page.unroute("**/kiosk/api/guide/info")
            # let the page's queued work run (the answer's JSON, the screen's continuation)
            settle = "() => new Promise(r => requestAnimationFrame(() => setTimeout(r)))"
            await page.evaluate(settle)
            await expect(page.locator("#k-title")).to_have_text("请选择您要办理的事项")
            assert await page.locator("#g-q").count() == 0  # still home: nothing drawn over it

            # a guide not downloaded yet says so, and "try again" finds it once it is here
            body = '{"ready": false, "version": null, "sample": false, "published_at": null}'
            await page.route(
                "**/kiosk/api/guide/info",
                lambda route: route.fulfill(body=body, content_type="application/json"),
            )
            await page.locator("button.tile[data-screen='guide']").tap()
            await expect(page.locator("#g-retry")).to_be_visible()
            await expect(page.locator(".msg.warn")).to_contain_text("正在下载")
            await assert_accessible(page, "guide not downloaded yet")
            await page.unroute("**/kiosk/api/guide/info")
            await page.locator("#g-retry").tap()
            await expect(page.locator("#g-q")).to_be_visible()
