"""A recorded help call in Chromium, end to end: with ``help_recording`` on the kiosk shows the
citizen the notice, the call is answered with video both ways, and after it ends the call
history plays both sides back from the recorded WebM files (decoded, their clocks moving)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from cloud.auth.resolve import SESSION_COOKIE
from fleet.access import PersonRole
from protocols.ice_hosts import restrict_ice_hosts
from tests.browser.kiosk_kit import KioskWorld, assert_accessible, kiosk_world, touch_page
from tests.browser.media_chromium import media_browser
from tests.browser.people_served import page_errors
from tests.browser.test_help_call_browser import (
    answer_with_video_both_ways,
    on_duty,
    playing,
    script_errors,
)
from tests.identity_kit import ROOT_SCOPE, make_console_login


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with media_browser() as b:
        yield b


@pytest.fixture
async def world(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[KioskWorld]:
    restrict_ice_hosts(["127.0.0.1"])
    try:
        async with kiosk_world(
            tmp_path, mosquitto_url, cloud_settings={"help_recording": True}
        ) as kw:
            yield kw
    finally:
        restrict_ice_hosts([])


async def supervisor_page(browser: Browser, kw: KioskWorld) -> Page:
    """An administrator: answers calls (help.answer) and may replay them (help.recordings)."""
    world = kw.world
    assert world.sessions is not None
    login = await make_console_login(
        world.sessions, "sup-wang", PersonRole.ADMINISTRATOR, ROOT_SCOPE
    )
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    await context.grant_permissions(["camera", "microphone"], origin=world.base_url)
    await context.add_cookies(
        [
            {"name": SESSION_COOKIE, "value": login.cookie, "url": world.base_url},
            {"name": "kfleet_csrf", "value": login.csrf, "url": world.base_url},
        ]
    )
    return await context.new_page()


async def test_a_recorded_call_is_played_back_from_the_history(
    browser: Browser, world: KioskWorld
) -> None:
    op = await supervisor_page(browser, world)
    op_errors = page_errors(op)
    await on_duty(op, world, "sup-wang")
    async with touch_page(browser, world.url) as kiosk:
        await kiosk.locator('[data-screen="help"]').tap()
        await expect(kiosk.locator(".help-state")).to_have_attribute("data-state", "ringing")
        await answer_with_video_both_ways(op, kiosk)
        # the citizen is told before and while the operator's picture shows
        await expect(kiosk.locator(".help-recording").first).to_contain_text("录音录像")
        # long enough on both sides for a few seconds of record
        for page, selector in ((op, "#help-kiosk-video"), (kiosk, "#k-help-video")):
            await playing(page, selector)
        await op.locator("#help-outcome").select_option("solved")
        await op.locator("#help-end-button").click()
        await expect(kiosk.locator(".help-state")).to_have_attribute("data-state", "ended")

    await op.goto(world.world.base_url + "/help/history")
    play = op.locator("#hh-rows tr .hh-play")
    await expect(play).to_have_count(1)
    await play.click()
    player = op.locator("#hh-player")
    await expect(player).to_be_visible()
    for side in ("kiosk", "operator"):
        await op.locator(f"#hh-rec-{side}").evaluate("(v) => { v.muted = true; return v.play(); }")
        await playing(op, f"#hh-rec-{side}")
        await expect(op.locator(f"#hh-rec-{side}-note")).to_contain_text("完整")
    await assert_accessible(op, "call history, playing a recording")
    await op.locator("#hh-player-close").click()
    await expect(player).to_be_hidden()
    assert script_errors(op_errors) == []
