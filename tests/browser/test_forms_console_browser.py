"""The console's e-form editor (/forms) in Chromium on a running demo cloud (which seeds the
shipped forms at start): open a form, preview it and check sample data with the kiosk's
validation, save a changed definition as version 2, publish it (the kiosks' API serves it),
roll back to version 1; an unusable definition is refused with its reason. axe finds no WCAG
2.2 AA violation."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from cloud.kiosk.forms_service import FormService
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


async def _current(world: DemoWorld) -> tuple[int, str]:
    assert world.sessions is not None
    form = await FormService(world.sessions).current("personal-info")
    assert form is not None
    return form.version, form.title


async def test_preview_save_publish_and_roll_back(browser: Browser, world: DemoWorld) -> None:
    page = await signed_in_page(browser, world, "forms-editor", PersonRole.OPERATOR)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/forms")
    await page.locator('.fe-open[data-code="personal-info"]').click(timeout=WAIT_MS)
    await expect(page.locator("#fe-problems")).to_have_text("定义可用", timeout=WAIT_MS)
    await expect(page.locator("#fe-s-phone")).to_be_visible()
    await page.fill("#fe-s-phone", "123")
    await page.click("#fe-try")
    await expect(page.locator("#fe-sample-problems")).to_contain_text("phone: 手机号码的格式不对")
    await assert_accessible(page, "the e-form editor")

    form = json.loads(await page.input_value("#fe-json"))
    await page.fill("#fe-json", json.dumps({**form, "title": "个人信息登记表（2027版）"}))
    await page.fill("#fe-note", "new title")
    await page.click("#fe-save")
    await expect(page.locator("#fe-status")).to_have_text("已保存为第 2 版（尚未发布）")
    assert await _current(world) == (1, "个人信息登记表")
    await page.click('[data-publish="2"]')
    await expect(page.locator("#fe-status")).to_have_text("已发布第 2 版")
    assert await _current(world) == (2, "个人信息登记表（2027版）")
    await page.click('[data-rollback="1"]')
    await expect(page.locator("#fe-status")).to_have_text("已回滚到第 1 版")
    await expect(page.locator('#fe-versions tr[data-version="1"]')).to_contain_text("当前")
    assert await _current(world) == (1, "个人信息登记表")

    broken = {**form, "json_schema": {**form["json_schema"], "properties": {}}}
    await page.fill("#fe-json", json.dumps(broken))
    await page.click("#fe-save")
    await expect(page.locator("#fe-status")).to_contain_text("not in the schema")
    await expect(page.locator("#fe-status")).to_have_class("fe-status error")
    assert [e for e in errors if "status of 422" not in e] == []  # the refusal is the 422
