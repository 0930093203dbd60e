"""好差评 in a real browser (Chromium via Playwright): the console page's report by window,
a follow-up closed with a note, and the phone rating page tapped on a phone-sized screen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from cloud.db import sites as site_repo
from cloud.hall import ratings_store as store
from fleet.workdays import WorkCalendar
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from tests.browser.console_login import signed_in_page
from tests.browser.test_screen_browser import watch_errors

HHL = "qh/hx/golmud/hhl"


@pytest.fixture
async def world(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    opts = DemoOptions(data_dir=tmp_path, broker_url=mosquitto_url, port=0, kiosks=[])
    async with running_demo(opts) as w:
        yield w


async def _seed(world: DemoWorld) -> None:
    assert world.sessions is not None
    async with world.sessions() as s:
        site_id = (await site_repo.require(s, HHL)).id
        for n, (level, window) in enumerate([(5, "3"), (4, "3"), (2, "3"), (5, "5")]):
            new = store.NewRating(site_id, f"b{n}", "pad", "rated", level, window_no=window)
            new.staff_no, new.ticket_no = "017", f"A00{n}"
            await store.record(s, new, WorkCalendar(), HHL)


async def test_report_and_closing_a_follow_up(browser: Browser, world: DemoWorld) -> None:
    await _seed(world)
    page = await signed_in_page(browser, world)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/hall/ratings")
    await expect(page.get_by_role("link", name="好差评")).to_be_visible()
    window3 = page.locator('#hr-report-rows tr[data-key="3"]')
    await expect(window3.locator(".rated")).to_have_text("3")
    await expect(window3.locator(".rate")).to_have_text("66.7%")
    await expect(window3.locator(".bad")).to_have_text("1")
    follow = page.locator("#hr-follow-rows tr")
    await expect(follow).to_have_count(1)
    await expect(follow.first.locator(".state")).to_have_text("待整改")
    await follow.first.locator("textarea").fill("已约谈并回访")
    await follow.first.get_by_role("button", name="办结").click()
    await expect(follow.first.locator(".state")).to_have_text("已办结")
    await expect(follow.first).to_contain_text("已约谈并回访")
    await expect(page.locator("#hr-list-rows tr")).to_have_count(4)
    await page.goto(f"{world.base_url}/hall/ratings?lang=en")
    await expect(page.locator("h1")).to_have_text("Service ratings")
    assert errors == []


async def test_phone_page_rates_with_a_reason(browser: Browser, world: DemoWorld) -> None:
    async with httpx.AsyncClient(
        base_url=world.base_url, headers=world.headers, timeout=30
    ) as http:
        r = await http.post(
            "/api/v1/hall/ratings/phone-links",
            params={"site": HHL},
            json={"ticket_no": "A012", "window": "3"},
        )
        assert r.status_code == 201, r.text
        path = r.json()["path"]
    context = await browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = await context.new_page()
    errors = watch_errors(page)
    await page.goto(world.base_url + path)
    await expect(page.locator("h1")).to_contain_text("请您对本次服务进行评价")
    await expect(page.locator("#reasons")).to_be_hidden()
    await page.get_by_role("radio", name="不满意 Dissatisfied").tap()
    await expect(page.locator("#reasons")).to_be_visible()
    await page.get_by_role("button", name="等候时间长").tap()
    await page.get_by_role("button", name="提交评价").tap()
    await expect(page.locator("#message")).to_contain_text("感谢您的评价")
    await expect(page.locator("#rate")).to_be_hidden()
    async with httpx.AsyncClient(
        base_url=world.base_url, headers=world.headers, timeout=30
    ) as http:
        [row] = (await http.get("/api/v1/hall/ratings")).json()["items"]
    assert (row["source"], row["level"], row["reasons"], row["ticket_no"]) == (
        "phone",
        2,
        ["wait_long"],
        "A012",
    )
    await page.reload()
    await expect(page.locator("#message")).to_contain_text("您已评价")
    assert errors == []
    await context.close()
