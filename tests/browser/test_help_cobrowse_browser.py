"""Remote operation and material review in Chromium (docs/help-cobrowse.md), in a real call:
the citizen presses the kiosk's 视频帮办 tile (``k_help.js`` calls the call centre through the
agent), an operator on duty accepts it, and the operator's console has the in-call widgets
mounted. The operator fills a field and presses a button on the kiosk's screen after the
citizen agreed, and the kiosk shows it; the citizen takes control back mid-session and later
actions are refused and not applied; a declined consent keeps control with the citizen; a
material the operator sends back is rescanned and replaces the page. Every kiosk screen added
passes WCAG 2.2 AA."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from playwright.async_api import Browser, Page, expect

from fleet.access import PersonRole
from protocols.ice_hosts import restrict_ice_hosts
from tests.browser.console_login import signed_in_page
from tests.browser.kiosk_kit import (
    HHL,
    KioskWorld,
    assert_accessible,
    kiosk_world,
    touch_page,
)
from tests.browser.media_chromium import media_browser
from tests.browser.test_kiosk_apply_browser import ITEM, scan_and_accept

OPERATOR = "op-li"


@dataclass
class Call:
    kw: KioskWorld
    kiosk: Page
    operator: Page
    call_id: str = ""

    async def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> int:
        """The operator's request straight to the API (as a crafted one would be): status."""
        status: int = await self.operator.evaluate(
            """async ([method, path, body]) => (await fetch(path, {
                 method, credentials: "same-origin", body: body && JSON.stringify(body),
                 headers: {"Content-Type": "application/json",
                           "X-CSRF-Token": kf.cookie("kfleet_csrf")},
               })).status""",
            [method, path, body],
        )
        return status

    async def act(self, body: dict[str, Any]) -> int:
        return await self.api("POST", f"/api/v1/help/calls/{self.call_id}/actions", body)


async def mount_widgets(operator: Page, base_url: str, call_id: str) -> None:
    """The call centre's in-call panel as helpui builds it: the two sections, both mounted."""
    await operator.set_viewport_size({"width": 1920, "height": 2400})  # the whole panel shown
    await operator.goto(base_url + "/tokens")
    await operator.evaluate(
        """() => { for (const id of ["help-cobrowse", "help-materials"]) {
             const s = document.createElement("section"); s.id = id; document.body.append(s); } }"""
    )
    for asset in ("help_cobrowse.css",):
        await operator.add_style_tag(url=f"{base_url}/console/{asset}")
    for asset in ("help_cobrowse.js", "help_materials.js"):
        await operator.add_script_tag(url=f"{base_url}/console/{asset}")
    await operator.evaluate(
        """(id) => { kfHelpCobrowse.mount(document.getElementById("help-cobrowse"), id);
                     kfHelpMaterials.mount(document.getElementById("help-materials"), id); }""",
        call_id,
    )


@asynccontextmanager
async def in_call(browser: Browser, tmp_path: Path, mosquitto_url: str) -> AsyncIterator[Call]:
    """The demo's pilot kiosk and an operator of its hall, on duty in the console."""
    restrict_ice_hosts(["127.0.0.1"])  # the call starts the kiosk's camera stream: loopback
    async with kiosk_world(tmp_path, mosquitto_url) as kw, touch_page(browser, kw.url) as kiosk:
        operator = await signed_in_page(browser, kw.world, OPERATOR, PersonRole.OPERATOR, HHL)
        try:
            await operator.goto(kw.world.base_url + "/tokens")  # a console page (``kf``)
            call = Call(kw, kiosk, operator)
            assert await call.api("PUT", "/api/v1/help/duty", {"on_duty": True}) == 200
            yield call
        finally:
            await operator.context.close()


async def call_from_the_kiosk(call: Call) -> None:
    """The citizen presses 视频帮办; the operator accepts the call ``k_help.js`` made."""
    await call.kiosk.evaluate(
        """() => { window.kfTestCall = new Promise((done) => document.addEventListener(
             "kf-help-call", (e) => done(e.detail.callId), {once: true})); }"""
    )
    await call.kiosk.locator("[data-screen='help']").tap()
    call.call_id = await call.kiosk.evaluate("() => window.kfTestCall")
    assert await call.api("POST", f"/api/v1/help/calls/{call.call_id}/accept") == 200
    await expect(call.kiosk.locator("#k-help-float")).to_be_visible(timeout=15_000)


async def start_call(call: Call) -> None:
    """A real call from the kiosk, answered, and the operator's in-call panel mounted."""
    await call_from_the_kiosk(call)
    await mount_widgets(call.operator, call.kw.world.base_url, call.call_id)


async def open_apply_search(kiosk: Page) -> None:
    """The citizen, in the call (its window stays), goes home and opens 自助申报."""
    await kiosk.locator("#k-home").tap()
    await kiosk.locator("[data-screen='apply']").tap()
    await expect(kiosk.locator("#apply-q")).to_be_visible()


async def test_operator_fills_and_presses_after_consent_then_citizen_takes_back(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with in_call(browser, tmp_path, mosquitto_url) as call:
        kiosk, op = call.kiosk, call.operator
        await start_call(call)
        await open_apply_search(kiosk)
        frame = op.frame_locator("#help-cobrowse iframe.cb-frame")
        await expect(frame.locator("input[data-ref^='apply-q-']")).to_be_attached(timeout=15_000)
        # scripts refused in the copy; same-origin only so the console can take clicks on it
        assert await op.locator("iframe.cb-frame").get_attribute("sandbox") == "allow-same-origin"
        in_place = frame.locator("input[data-ref^='apply-q-']")
        assert await in_place.get_attribute("readonly") is not None  # no consent yet
        field = op.locator("#help-cobrowse li[data-ref^='apply-q-'] input")
        await expect(field).to_be_disabled()  # no consent yet

        await op.locator(".cb-ask").click()
        await expect(kiosk.locator("#k-cobrowse-ask")).to_be_visible(timeout=15_000)
        await assert_accessible(kiosk, "cobrowse: the consent dialog")
        await kiosk.locator("#k-cobrowse-grant").tap()
        await expect(kiosk.locator("#k-cobrowse")).to_contain_text("工作人员正在协助您操作")
        await assert_accessible(kiosk, "cobrowse: the banner while a staff member operates")
        await expect(op.locator("#help-cobrowse[data-control='granted']")).to_be_attached()

        # the operator types into the copy itself and presses its button where it is
        await in_place.fill("养老保险待遇")
        await in_place.press("Enter")
        await expect(kiosk.locator("#apply-q")).to_have_value("养老保险待遇", timeout=15_000)
        await frame.locator("[data-ref][data-kind='button']", has_text="搜索").click()
        await expect(kiosk.locator(f"[data-item='{ITEM}']")).to_be_visible(timeout=15_000)
        # the operator sees the screen the press brought
        await expect(frame.locator(f"[data-item='{ITEM}']")).to_be_attached(timeout=15_000)

        await kiosk.locator("#k-cobrowse-revoke").tap()  # 收回控制, mid-session
        await expect(kiosk.locator("#k-cobrowse")).to_have_count(0)
        await expect(op.locator("#help-cobrowse[data-control='revoked']")).to_be_attached(
            timeout=15_000
        )
        await expect(field).to_be_disabled()
        ref = await op.locator("#help-cobrowse li[data-ref^='apply-q-']").get_attribute("data-ref")
        assert await call.act({"type": "fill", "ref": ref, "value": "已收回"}) == 409
        await expect(kiosk.locator("#apply-q")).to_have_value("养老保险待遇")


async def test_declined_consent_keeps_control_with_the_citizen(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with in_call(browser, tmp_path, mosquitto_url) as call:
        kiosk, op = call.kiosk, call.operator
        await start_call(call)
        await open_apply_search(kiosk)
        row = op.locator("#help-cobrowse li[data-ref^='apply-q-']")
        await expect(row).to_be_attached(timeout=15_000)
        await op.locator(".cb-ask").click()
        await kiosk.locator("#k-cobrowse-decline").tap()
        await expect(kiosk.locator("#k-cobrowse-ask")).to_have_count(0)
        await expect(kiosk.locator("#k-cobrowse")).to_have_count(0)
        await expect(op.locator("#help-cobrowse[data-control='declined']")).to_be_attached(
            timeout=15_000
        )
        await expect(row.locator("input")).to_be_disabled()
        ref = await row.get_attribute("data-ref")
        assert await call.act({"type": "fill", "ref": ref, "value": "不该出现"}) == 409
        await kiosk.locator("#apply-q").fill("公积金")  # the citizen still types
        await expect(kiosk.locator("#apply-q")).to_have_value("公积金")


async def test_a_material_sent_back_is_rescanned_and_replaces_the_page(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with in_call(browser, tmp_path, mosquitto_url) as call:
        kiosk, op = call.kiosk, call.operator
        assert call.kw.kiosk.idcard is not None
        call.kw.kiosk.idcard.insert(0)
        await start_call(call)
        await open_apply_search(kiosk)
        await kiosk.locator("#apply-q").fill("养老保险待遇")
        await kiosk.locator(".apply-search button").tap()
        await kiosk.locator(f"[data-item='{ITEM}']").tap()
        await kiosk.locator("[data-question='who'] [data-option='self']").tap()
        await kiosk.locator("#apply-next").tap()
        first = await scan_and_accept(kiosk, "id_card")

        row = op.locator("#help-materials [data-material='id_card']")
        await expect(row).to_have_attribute("data-state", "pending", timeout=15_000)
        await row.locator("[data-page='1']").click()
        full = op.locator("#help-materials img.hm-full")
        await expect(full).to_be_visible(timeout=15_000)
        width = await full.evaluate("(img) => img.naturalWidth")
        kiosk_width = await kiosk.evaluate(
            """async () => { const img = new Image();
                 img.src = document.querySelector("[data-material='id_card'] img").src;
                 await img.decode(); return img.naturalWidth; }"""
        )
        assert width == kiosk_width > 200  # full resolution, not the screen's thumbnail

        await row.locator("input").fill("请将身份证放正")
        await row.locator(".hm-rescan").click()
        note = kiosk.locator("[data-rescan='id_card']")
        await expect(note).to_contain_text("工作人员请您重新扫描：请将身份证放正", timeout=15_000)
        await assert_accessible(kiosk, "apply: a rescan asked by the staff member")

        second = await scan_and_accept(kiosk, "id_card")
        assert second != first
        await expect(kiosk.locator("[data-material='id_card'] .apply-count")).to_have_text(
            "已扫描 1 页"
        )
        await expect(note).to_have_count(0)
        await expect(row).to_have_attribute("data-state", "pending", timeout=15_000)
        served = await op.evaluate(
            """async (id) => { const r = await fetch(
                 `/api/v1/help/calls/${id}/materials/id_card/pages/1`,
                 {credentials: "same-origin"});
                 return Array.from(new Uint8Array(await r.arrayBuffer())); }""",
            call.call_id,
        )
        assert bytes(served) == second
        shown = await kiosk.locator("[data-material='id_card'] img").get_attribute("src")
        assert shown is not None
        got = await (await kiosk.request.get(urljoin(kiosk.url, shown))).body()
        assert got == second


async def test_the_operator_works_in_the_call_centre_page_and_the_end_drops_it(
    tmp_path: Path, mosquitto_url: str
) -> None:
    """The whole flow through the console's ``/help``: on duty, answer the ring, ask for control,
    fill the kiosk's field; then end the call there: the kiosk's banner goes, the call's
    in-call state is dropped at once, and the kiosk's consent can no longer be given."""
    restrict_ice_hosts(["127.0.0.1"])
    async with (
        media_browser() as browser,
        kiosk_world(tmp_path, mosquitto_url) as kw,
        touch_page(browser, kw.url) as kiosk,
    ):
        op = await signed_in_page(browser, kw.world, OPERATOR, PersonRole.OPERATOR, HHL)
        try:
            await op.goto(kw.world.base_url + "/help")
            await expect(op.locator("#help-duty-toggle")).to_be_enabled(timeout=15_000)
            await op.locator("#help-duty-toggle").click()
            await expect(op.locator("#help-duty-toggle")).to_have_attribute("aria-pressed", "true")
            call = Call(kw, kiosk, op)
            await kiosk.evaluate(
                """() => { window.kfTestCall = new Promise((done) => document.addEventListener(
                     "kf-help-call", (e) => done(e.detail.callId), {once: true})); }"""
            )
            await kiosk.locator("[data-screen='help']").tap()
            call.call_id = await kiosk.evaluate("() => window.kfTestCall")
            await op.locator(".help-accept").first.click(timeout=15_000)
            await expect(kiosk.locator("#k-help-float")).to_be_visible(timeout=15_000)
            await open_apply_search(kiosk)

            row = op.locator("#help-cobrowse li[data-ref^='apply-q-']")
            await expect(row).to_be_attached(timeout=15_000)
            await op.locator("#help-cobrowse .cb-ask").click()
            await kiosk.locator("#k-cobrowse-grant").tap(timeout=15_000)
            await expect(kiosk.locator("#k-cobrowse")).to_contain_text("工作人员正在协助您操作")
            await row.locator("input").fill("养老保险待遇")
            await row.locator(".cb-fill").click()
            await expect(kiosk.locator("#apply-q")).to_have_value("养老保险待遇", timeout=15_000)

            incall = kw.world.parts.cobrowse if kw.world.parts else None
            assert incall is not None and incall.cobrowse.has(call.call_id)
            # the key, not a pointer: the panel above reflows as the kiosk's screens arrive
            await op.locator("#help-end-button").press("Enter")
            await expect(op.locator("#help-call")).to_be_hidden(timeout=15_000)
            await expect(kiosk.locator("#k-help-float")).to_have_count(0, timeout=15_000)
            await expect(kiosk.locator("#k-cobrowse")).to_have_count(0, timeout=15_000)
            assert not incall.cobrowse.has(call.call_id)
            assert await call.act({"type": "fill", "ref": "apply-q-x", "value": "迟到"}) == 409
        finally:
            await op.context.close()
