"""The console's rollouts page (/rollouts) in Chromium on a running demo cloud with two
stand-in devices (tests/cloud/rollout_kit.py): upload a release, start a rollout over the
Golmud subtree, pause and resume it, watch it complete wave by wave, each device's state;
English too. axe finds no WCAG 2.2 AA violation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from tests.browser.console_login import signed_in_page
from tests.browser.kiosk_kit import assert_accessible
from tests.browser.test_screen_browser import watch_errors
from tests.cloud.rollout_kit import NEW, StandIn, release_tar

WAIT_MS = 15_000


@pytest.fixture
async def world(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    opts = DemoOptions(
        data_dir=tmp_path,
        broker_url=mosquitto_url,
        port=0,
        kiosks=[],
        cloud_settings={"rollout_gate_interval_s": 0.2},
    )
    async with running_demo(opts) as w:
        yield w


async def test_upload_start_pause_resume_and_watch_a_rollout(
    browser: Browser, world: DemoWorld, mosquitto_url: str, uid: str
) -> None:
    parts = world.parts
    assert parts is not None
    page = await signed_in_page(browser, world)
    errors = watch_errors(page)
    async with (
        httpx.AsyncClient(base_url=world.base_url, headers=world.headers, timeout=30) as http,
        StandIn(mosquitto_url, f"hhl-{uid}", "qh/hx/golmud/hhl") as hhl,
        StandIn(mosquitto_url, f"tgls-{uid}", "qh/hx/golmud/tgls") as tgls,
    ):
        for device in (hhl, tgls):
            await device.restart_as(parts, device.version)
        await page.goto(f"{world.base_url}/rollouts")
        await expect(page.locator("#ro-release-rows")).to_contain_text(
            "尚未上传版本", timeout=WAIT_MS
        )
        await page.set_input_files(
            "#ro-file",
            files=[
                {
                    "name": "kfleet.tar.gz",
                    "mimeType": "application/gzip",
                    "buffer": release_tar(NEW),
                }
            ],
        )
        await page.click("#ro-publish")
        await expect(page.locator("#ro-status")).to_have_text(f"已上传版本 {NEW}", timeout=WAIT_MS)
        await expect(page.locator(f'#ro-release-rows tr[data-version="{NEW}"]')).to_contain_text(
            "测试", timeout=WAIT_MS
        )
        await assert_accessible(page, "the rollouts page with a release")

        await page.fill("#ro-site", "qh/hx/golmud")
        await page.fill("#ro-window", "60")
        await page.click("#ro-go")
        await expect(page.locator("#ro-status")).to_contain_text("已开始升级 ro-", timeout=WAIT_MS)
        row = page.locator("#ro-rollout-rows tr[data-rollout]")
        await row.locator('button[data-action="pause"]').click()
        await expect(row.locator(".ro-state")).to_have_text("已暂停", timeout=WAIT_MS)
        await row.locator('button[data-action="resume"]').click()
        await expect(row.locator(".ro-state")).to_have_text("进行中", timeout=WAIT_MS)

        assert tgls.commands.empty()  # wave by wave: hhl's wave first
        await hhl.answer(parts, http, timeout_s=20)
        await tgls.answer(parts, http, timeout_s=20)
        await expect(row.locator(".ro-state")).to_have_text("已完成", timeout=WAIT_MS)
        await expect(row).to_contain_text("2 / 2", timeout=WAIT_MS)
        waves = page.locator("#ro-wave-rows tr")
        await expect(waves.locator(".ro-state")).to_have_text(["已通过", "已通过"], timeout=WAIT_MS)
        await expect(
            page.locator(f'#ro-device-rows tr[data-device="{hhl.device_id}"]')
        ).to_contain_text("正常", timeout=WAIT_MS)
        await assert_accessible(page, "the rollouts page with a completed rollout")

        await page.goto(f"{world.base_url}/rollouts?lang=en")
        await expect(page.locator("h1")).to_have_text("Agent rollouts", timeout=WAIT_MS)
        await expect(page.locator("#ro-rollout-rows .ro-state")).to_have_text(
            "completed", timeout=WAIT_MS
        )
        await assert_accessible(page, "the rollouts page in English")
    assert errors == []
