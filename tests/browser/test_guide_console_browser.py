"""The console's 办事指南 editor in Chromium on a running demo cloud (which publishes the sample
catalogue at start): find an item, preview how answers change its materials, add a material
that applies to one answer and save it, publish a new version — the API holds each change;
go back to version 1 (published as version 3); export and import a file. And the item's
phone page (``/g/{code}``) on a phone-sized screen: its situation form works with script
turned off, and axe finds no WCAG 2.2 AA violation."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from fleet.access import PersonRole
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from tests.browser.console_login import signed_in_page
from tests.browser.kiosk_kit import assert_accessible
from tests.browser.test_screen_browser import watch_errors

WAIT_MS = 15_000


@pytest.fixture
async def world(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    opts = DemoOptions(data_dir=tmp_path, broker_url=mosquitto_url, port=0, kiosks=[])
    async with running_demo(opts) as w:
        yield w


async def _open(page: Page, world: DemoWorld) -> None:
    await page.goto(f"{world.base_url}/guide")
    await expect(page.locator("#gd-total")).to_contain_text("/", timeout=WAIT_MS)  # ready
    await page.fill("#gd-q", "高龄")
    await page.click("#gd-search button[type=submit]")
    await expect(page.locator("#gd-rows tr")).to_have_count(1, timeout=WAIT_MS)
    await page.click('#gd-rows a[data-code="CA-ELDER-ALLOWANCE"]')
    await expect(page.locator("#gd-editor")).to_be_visible()


async def test_preview_edit_save_and_publish(browser: Browser, world: DemoWorld) -> None:
    page = await signed_in_page(browser, world, "guide-editor", PersonRole.OPERATOR)
    errors = watch_errors(page)
    await _open(page, world)
    age = page.locator("#gd-pq-age")
    materials = page.locator("#gd-preview-materials")
    await age.select_option("100")
    await expect(materials).to_contain_text("年龄核实材料", timeout=WAIT_MS)
    await age.select_option("80")
    await expect(materials).not_to_contain_text("年龄核实材料", timeout=WAIT_MS)
    await assert_accessible(page, "the guide editor")

    await page.click('[data-add="materials"]')
    block = page.locator("#gd-materials .gd-block").last
    await block.locator('[data-key="code"]').fill("nonagenarian_photo")
    await block.locator('[data-key="name"]').fill("近期生活照")
    await block.locator('[data-key="when"]').fill("age=90")
    await page.click("#gd-save")
    await expect(page.locator("#gd-status")).to_contain_text("已保存", timeout=WAIT_MS)
    api = page.context.request
    saved = await (await api.get(f"{world.base_url}/api/v1/guide/items/CA-ELDER-ALLOWANCE")).json()
    added = [m for m in saved["item"]["materials"] if m["code"] == "nonagenarian_photo"]
    assert (
        added == [{**added[0], "name": "近期生活照", "when": [{"age": "90"}], "required": True}]
        and saved["problems"] == []
    )

    await age.select_option("90")
    await expect(materials).to_contain_text("近期生活照", timeout=WAIT_MS)
    await page.fill("#gd-note", "高龄补贴增加生活照")
    await page.click("#gd-publish")
    await expect(page.locator("#gd-status")).to_contain_text("已发布版本 2", timeout=WAIT_MS)
    await expect(page.locator("#gd-versions tr")).to_have_count(2)
    versions = await (await api.get(f"{world.base_url}/api/v1/guide/versions")).json()
    assert [v["version"] for v in versions["versions"]] == [2, 1]

    page.on("dialog", lambda dialog: dialog.accept())  # "replace the working copy?"
    await page.click('#gd-versions button[data-version="1"]')
    await expect(page.locator("#gd-status")).to_contain_text("已发布版本 3", timeout=WAIT_MS)
    back = await (await api.get(f"{world.base_url}/api/v1/guide/versions/3")).json()
    elder = next(i for i in back["items"] if i["code"] == "CA-ELDER-ALLOWANCE")
    assert "nonagenarian_photo" not in [m["code"] for m in elder["materials"]]
    assert errors == []


async def test_a_bad_situation_is_shown_as_a_problem(browser: Browser, world: DemoWorld) -> None:
    page = await signed_in_page(browser, world, "guide-editor", PersonRole.OPERATOR)
    await _open(page, world)
    first = page.locator("#gd-materials .gd-block").first
    await first.locator('[data-key="when"]').fill("colour=red")
    await page.click("#gd-preview-go")
    await expect(page.locator("#gd-problems")).to_contain_text("colour", timeout=WAIT_MS)


async def test_export_then_import_a_changed_file(
    browser: Browser, world: DemoWorld, tmp_path: Path
) -> None:
    page = await signed_in_page(browser, world, "guide-editor", PersonRole.OPERATOR)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/guide")
    await expect(page.locator("#gd-total")).to_contain_text("/", timeout=WAIT_MS)
    href = await page.locator("#gd-export-json").get_attribute("href")
    exported = await page.context.request.get(f"{world.base_url}{href}")
    assert exported.ok
    doc = await exported.json()
    item = next(i for i in doc["items"] if i["code"] == "HH-BIRTH")
    item["name"] = "出生登记（新生儿入户）"
    file = tmp_path / "catalogue.json"
    file.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    await page.set_input_files("#gd-file", str(file))
    await page.click("#gd-import button[type=submit]")
    await expect(page.locator("#gd-status")).to_contain_text("已导入", timeout=WAIT_MS)
    await page.fill("#gd-q", "新生儿入户")
    await page.click("#gd-search button[type=submit]")
    await expect(page.locator("#gd-rows")).to_contain_text(
        "出生登记（新生儿入户）", timeout=WAIT_MS
    )
    assert errors == []


async def test_the_phone_page_works_without_script_and_is_accessible(
    browser: Browser, world: DemoWorld
) -> None:
    context = await browser.new_context(
        java_script_enabled=False, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = await context.new_page()
    await page.goto(f"{world.base_url}/g/VET-HUKOU?where=spouse")
    materials = page.locator("#materials")
    await expect(materials).to_contain_text("结婚证")
    await page.check('input[name="where"][value="parents"]')
    await page.click("form button[type=submit]")
    await expect(materials).to_contain_text("亲属关系证明")
    await expect(materials).not_to_contain_text("结婚证")
    assert "where=parents" in page.url
    await context.close()
    scripted = await browser.new_page(viewport={"width": 390, "height": 844})
    await scripted.goto(f"{world.base_url}/g/VET-HUKOU?where=parents")
    await assert_accessible(scripted, "the phone page of an item")
