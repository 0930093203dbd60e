"""视频帮办 end to end in Chromium (fake camera and microphone) against the real world: the demo
cloud (call centre, media relay, console page ``/help``) and a pilot kiosk's real agent with its
simulated camera and hardware call button. A citizen calls from the kiosk's tile, the operator
on duty answers in the console; the operator's ``<video>`` decodes the kiosk's camera (published
by the agent through the relay after the cloud's ``stream_start``), the kiosk's decodes the
operator's camera (through the agent's WHEP proxy), each with an audio track. A call to an empty
call centre is missed and the citizen told; a press of the call button makes one call; the
kiosk's network drops mid-call and comes back; the citizen hanging up closes the operator's
panel. Media stays on loopback (``restrict_ice_hosts``; Chromium offers loopback)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from cloud.auth.resolve import SESSION_COOKIE
from fleet.access import PersonRole
from kfleet.world.net import refusing_port
from protocols.ice_hosts import restrict_ice_hosts
from tests.browser.kiosk_kit import KIOSK, KioskWorld, assert_accessible, kiosk_world, touch_page
from tests.browser.media_chromium import media_browser
from tests.browser.people_served import page_errors
from tests.identity_kit import ROOT_SCOPE, make_console_login

#: JS: the numbers of audio and video tracks ``sel``'s <video> plays
TRACKS_JS = """(sel) => {
  const s = document.querySelector(sel).srcObject;
  return s ? [s.getAudioTracks().length, s.getVideoTracks().length] : [0, 0];
}"""
#: the kiosk's screen long-polls its call for 20 s: a drop shows once the poll in flight ends
DROP_MS = 40_000
#: JS: keep every kf-help-call event's [callId, state] in window.__help
RECORD_EVENTS = """() => {
  window.__help = [];
  document.addEventListener("kf-help-call", (e) => {
    window.__help.push([e.detail.callId, e.detail.state]);
  });
}"""


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Chromium with a fake camera and microphone (a test pattern and a tone)."""
    async with media_browser() as b:
        yield b


@pytest.fixture
async def world(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[KioskWorld]:
    restrict_ice_hosts(["127.0.0.1"])  # the cloud's relay runs in this process
    try:
        async with kiosk_world(tmp_path, mosquitto_url) as kw:
            yield kw
    finally:
        restrict_ice_hosts([])


async def operator_page(browser: Browser, kw: KioskWorld, username: str) -> Page:
    """A console page of an operator (help.answer, media.view) over the demo's tree."""
    world = kw.world
    assert world.sessions is not None
    login = await make_console_login(world.sessions, username, PersonRole.OPERATOR, ROOT_SCOPE)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    await context.grant_permissions(["camera", "microphone"], origin=world.base_url)
    await context.add_cookies(
        [
            {"name": SESSION_COOKIE, "value": login.cookie, "url": world.base_url},
            {"name": "kfleet_csrf", "value": login.csrf, "url": world.base_url},
        ]
    )
    return await context.new_page()


async def playing(page: Page, selector: str, timeout_ms: float = 45_000) -> None:
    """Wait until ``selector``'s video decodes: a picture size, then its clock moving on."""
    sized = (
        "(sel) => { const v = document.querySelector(sel);"
        " return !!v && v.videoWidth > 0 && v.readyState >= 2; }"
    )
    await page.wait_for_function(sized, arg=selector, timeout=timeout_ms)
    t0 = await page.evaluate("(sel) => document.querySelector(sel).currentTime", selector)
    moved = "([sel, t0]) => document.querySelector(sel).currentTime > t0 + 0.5"
    await page.wait_for_function(moved, arg=[selector, t0], timeout=timeout_ms)


async def on_duty(page: Page, kw: KioskWorld, username: str = "op-li") -> None:
    await page.goto(kw.world.base_url + "/help")
    toggle = page.locator("#help-duty-toggle")
    await expect(toggle).to_be_enabled()
    await expect(toggle).to_have_attribute("aria-pressed", "false")
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("#help-duty-list")).to_contain_text(username)


async def calls_of(kw: KioskWorld) -> list[dict[str, Any]]:
    """The call centre's calls (every state), as the API lists them."""
    async with httpx.AsyncClient(
        base_url=kw.world.base_url, headers=kw.world.headers, timeout=30
    ) as http:
        r = await http.get("/api/v1/help/calls", params={"limit": 100})
    assert r.status_code == 200, r.text
    data = r.json()
    return list(data if isinstance(data, list) else data["items"])


def script_errors(errors: list[str]) -> list[str]:
    """Errors but failed loads (a WHEP answered 404 while the other side's camera comes up)."""
    return [e for e in errors if "Failed to load resource" not in e]


async def answer_with_video_both_ways(op: Page, kiosk: Page) -> None:
    """The operator answers the ringing call; each side decodes the other's video + audio."""
    row = op.locator("#help-queue-rows tr")
    await expect(row).to_have_count(1)
    await expect(op.locator("#help-ring")).to_be_visible()
    await expect(op.locator("body")).to_have_class("help-ringing")
    await expect(row).to_contain_text(KIOSK)
    await assert_accessible(op, "call centre, ringing")
    await op.locator(".help-accept").click()

    await expect(op.locator("#help-call")).to_be_visible()
    await expect(op.locator("#help-ring")).to_be_hidden()
    # the kiosk's simulated camera, published by its agent through the relay
    await playing(op, "#help-kiosk-video")
    await playing(op, "#help-my-video")  # my own camera (local preview)
    assert await op.evaluate(TRACKS_JS, "#help-kiosk-video") == [1, 1]
    await assert_accessible(op, "call centre, in a call")

    # the kiosk: the operator's camera in its floating window, with sound
    await expect(kiosk.locator("#k-help-float")).to_be_visible()
    await expect(kiosk.locator("#k-help-who")).not_to_be_empty()
    await playing(kiosk, "#k-help-video")
    assert await kiosk.evaluate(TRACKS_JS, "#k-help-video") == [1, 1]
    await assert_accessible(kiosk, "kiosk video help, in a call")


async def test_a_kiosk_call_answered_with_video_both_ways(
    browser: Browser, world: KioskWorld
) -> None:
    op = await operator_page(browser, world, "op-li")
    op_errors = page_errors(op)
    await on_duty(op, world)
    await expect(op.locator("#help-queue-empty")).to_be_visible()
    await assert_accessible(op, "call centre, on duty, no calls")

    async with touch_page(browser, world.url) as kiosk:
        kiosk_errors = page_errors(kiosk)
        await kiosk.evaluate(RECORD_EVENTS)
        await kiosk.locator('[data-screen="help"]').tap()
        await expect(kiosk.locator(".help-state")).to_have_attribute("data-state", "ringing")
        await expect(kiosk.locator(".help-recording")).to_have_count(0)  # nothing is recorded
        await expect(kiosk.locator("#k-help-cancel")).to_be_visible()
        await assert_accessible(kiosk, "kiosk video help, calling")

        await answer_with_video_both_ways(op, kiosk)
        (call,) = await calls_of(world)
        call_id = call["call_id"]
        await expect(op.locator("#help-cobrowse")).not_to_be_empty()  # remote operation mounted

        # the window stays while the citizen goes to another screen
        await kiosk.locator("#k-home").tap()
        await expect(kiosk.locator(".tiles")).to_be_visible()
        await expect(kiosk.locator("#k-help-float")).to_be_visible()
        await playing(kiosk, "#k-help-video")

        # the operator ends it with an outcome: the kiosk says so, the window goes
        await op.locator("#help-outcome").select_option("solved")
        await op.locator("#help-note").fill("指导填写社保卡挂失")
        await op.locator("#help-end-button").click()
        await expect(op.locator("#help-call")).to_be_hidden()
        await expect(op.locator("#help-cobrowse")).to_be_empty()
        await expect(kiosk.locator("#k-help-float")).to_have_count(0)
        await expect(kiosk.locator(".help-state")).to_have_attribute("data-state", "ended")
        await expect(kiosk.locator(".help-state")).to_contain_text("已结束")
        await assert_accessible(kiosk, "kiosk video help, ended")
        assert script_errors(kiosk_errors) == []
        seen = await kiosk.evaluate("window.__help")
        assert [state for cid, state in seen if cid == call_id][-3:] == [
            "ringing",
            "active",
            "ended",
        ]

    (call,) = await calls_of(world)
    assert (call["state"], call["outcome"], call["operator"]) == ("ended", "solved", "user:op-li")
    await op.goto(world.world.base_url + "/help/history")
    history = op.locator("#hh-rows tr")
    await expect(history).to_have_count(1)
    await expect(history).to_contain_text("已解决")
    await expect(history).not_to_have_class("help-row missed")
    await assert_accessible(op, "call history")
    await op.goto(world.world.base_url + "/help/history?lang=en")
    await expect(history).to_contain_text("Solved")
    assert script_errors(op_errors) == []


async def test_a_call_to_an_empty_call_centre_is_missed_and_the_citizen_told(
    browser: Browser, world: KioskWorld
) -> None:
    async with touch_page(browser, world.url + "?lang=en", lang="en") as kiosk:
        await kiosk.locator('[data-screen="help"]').tap()
        state = kiosk.locator(".help-state")
        await expect(state).to_have_attribute("data-state", "missed")
        await expect(state).to_contain_text("No staff member")
        await expect(kiosk.locator("#k-help-again")).to_be_visible()
        await assert_accessible(kiosk, "kiosk video help, missed")
    (call,) = await calls_of(world)
    assert (call["state"], call["device_id"]) == ("missed", KIOSK)

    op = await operator_page(browser, world, "op-wang")
    await op.goto(world.world.base_url + "/help/history")
    missed = op.locator("#hh-rows tr.missed")
    await expect(missed).to_have_count(1)
    await expect(missed).to_contain_text("未接")
    await assert_accessible(op, "call history, a missed call")
    await op.locator("#hh-outcome").select_option("solved")
    await op.locator("#hh-show").click()
    await expect(op.locator("#hh-rows tr")).to_have_count(0)
    await assert_accessible(op, "call history, filtered to nothing")


async def test_the_call_button_a_network_drop_and_the_citizen_hanging_up(
    browser: Browser, world: KioskWorld
) -> None:
    button = world.kiosk.call_button
    assert button is not None, "a pilot kiosk has a hardware call button"
    op = await operator_page(browser, world, "op-li")
    await on_duty(op, world)
    async with touch_page(browser, world.url) as kiosk:
        await kiosk.locator('[data-screen="cases"]').tap()  # the citizen is looking up a case
        await expect(kiosk.locator("body[data-screen='cases']")).to_be_attached()
        cloud = world.world.parts
        assert cloud is not None
        async with cloud.hub.subscribe(f"help:button:{KIOSK}") as handled:
            # the hardware button: the agent tells the cloud (a `button` event) and the screen
            await button.press(1)
            by_button = await handled.wait_for(lambda _: True, 30)
        assert by_button is not None and by_button.startswith("hc-"), by_button
        await expect(kiosk.locator("body[data-screen='help']")).to_be_attached()
        await expect(kiosk.locator(".help-state")).to_have_attribute("data-state", "ringing")
        await expect(op.locator("#help-queue-rows tr")).to_have_count(1)
        await op.locator(".help-accept").click()
        await expect(kiosk.locator("#k-help-float")).to_be_visible()
        await playing(kiosk, "#k-help-video")
        await playing(op, "#help-kiosk-video")
        # the screen's call and the cloud's button call are one call
        (call,) = await calls_of(world)
        assert (call["call_id"], call["state"]) == (by_button, "active")
        assert cloud.help.button.pressed == 1

        # the kiosk loses the cloud mid-call: it says it is reconnecting, then carries on
        parts = world.kiosk.agent.kiosk
        assert parts is not None
        cloud_url = parts.cloud.cloud_url
        with refusing_port() as gone:
            parts.cloud.cloud_url = f"http://127.0.0.1:{gone}"
            try:  # the screen's long-poll in flight (≤ 20 s) ends, the next one fails
                await expect(kiosk.locator("#k-help-who")).to_contain_text(
                    "网络中断", timeout=DROP_MS
                )
            finally:
                parts.cloud.cloud_url = cloud_url
        await expect(kiosk.locator("#k-help-who")).not_to_contain_text("网络中断", timeout=DROP_MS)
        await expect(kiosk.locator("#k-help-float")).to_be_visible()
        await playing(kiosk, "#k-help-video")

        # the citizen hangs up from the floating window: the operator's panel closes
        await kiosk.locator("#k-help-hangup").tap()
        await expect(kiosk.locator("#k-help-float")).to_have_count(0)
        await expect(op.locator("#help-call")).to_be_hidden()
        await expect(op.locator("#help-status")).not_to_be_empty()
    (call,) = await calls_of(world)
    assert call["state"] == "ended"


async def test_a_kiosk_long_without_the_cloud_ends_its_call_plainly(
    browser: Browser, world: KioskWorld
) -> None:
    op = await operator_page(browser, world, "op-li")
    await on_duty(op, world)
    async with touch_page(browser, world.url) as kiosk:
        await kiosk.clock.install()  # the page's own clock, so a minute can pass at once
        await kiosk.reload()
        await kiosk.locator('[data-screen="help"]').tap()
        state = kiosk.locator(".help-state")
        await expect(state).to_have_attribute("data-state", "ringing")
        parts = world.kiosk.agent.kiosk
        assert parts is not None
        cloud_url = parts.cloud.cloud_url
        with refusing_port() as gone:
            parts.cloud.cloud_url = f"http://127.0.0.1:{gone}"  # the kiosk's network drops
            try:
                await expect(state).to_contain_text("网络中断，正在重新连接", timeout=DROP_MS)
                await kiosk.clock.fast_forward(61_000)
                await expect(state).to_have_attribute("data-state", "ended")
                await expect(state).to_contain_text("网络中断，视频帮办已结束")
                await expect(kiosk.locator("#k-help-again")).to_be_visible()
            finally:
                parts.cloud.cloud_url = cloud_url


async def test_every_operator_on_duty_rings_and_stops_when_one_answers(
    browser: Browser, world: KioskWorld
) -> None:
    li = await operator_page(browser, world, "op-li")
    wang = await operator_page(browser, world, "op-wang")
    await on_duty(li, world, "op-li")
    await on_duty(wang, world, "op-wang")
    await expect(li.locator("#help-duty-list")).to_contain_text("op-wang")  # a `duty` event
    body = {"request_id": "k-1", "lang": "zh-CN", "screen": "home", "source": "tile"}
    async with httpx.AsyncClient(
        timeout=30
    ) as http:  # the kiosk's own route, as its screen calls it
        r = await http.post(world.url + "/api/help/calls", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "ringing", r.text
    for page in (li, wang):
        await expect(page.locator("#help-ring")).to_be_visible()
        await expect(page.locator("#help-queue-rows tr")).to_have_count(1)
    await li.locator(".help-accept").click()
    await expect(li.locator("#help-call")).to_be_visible()
    # the other operator's queue empties and stops ringing without a reload (server-sent events)
    await expect(wang.locator("#help-queue-rows tr")).to_have_count(0)
    await expect(wang.locator("#help-ring")).to_be_hidden()
    await expect(wang.locator("body")).not_to_have_class("help-ringing")
    # and an answer that comes too late is told plainly (the accept answers 409)
    late = await wang.evaluate(
        "(id) => kf.api(`/api/v1/help/calls/${id}/accept`, {method: 'POST', body: {}})"
        ".then(() => 0, (err) => err.status)",
        r.json()["call_id"],
    )
    assert late == 409
    await playing(li, "#help-kiosk-video")
