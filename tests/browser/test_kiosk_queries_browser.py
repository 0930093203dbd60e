"""便民查询 on a pilot kiosk: a citizen picks a person query, reads the ID card (the reader
simulator), types the code the SMS simulator "sent" to the phone on file, sees the masked,
paged result, prints it on the kiosk's receipt printer; 退出 forgets the identity. Every
screen passes the WCAG 2.2 AA check. The department is the stand-in module of the query tests
(the real departments are another helper's)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from cloud.kiosk import departments
from kfleet.world import demo_kiosk_platforms
from kfleet.world.demo_kiosk_platforms import KioskPlatforms
from protocols.idcard.text import IdCardText
from simulators.identity_platform import SAMPLE_PHONES
from tests.browser.kiosk_kit import KioskWorld, assert_accessible, kiosk_world, touch_page
from tests.kiosk import queries_stand_in
from tests.kiosk.queries_stand_in import ACCOUNT

PHONE = SAMPLE_PHONES[0]


@contextlib.asynccontextmanager
async def stand_in_civil(platforms: KioskPlatforms) -> AsyncIterator[dict[str, Any]]:
    yield {"kiosk_departments": {"civil": {"url": "http://stand-in.invalid", "timeout_s": 2}}}


@pytest.fixture
async def kw(
    tmp_path: Path, mosquitto_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[KioskWorld]:
    queries_stand_in.reset()
    monkeypatch.setattr(departments, "MODULES", [*departments.MODULES, queries_stand_in])
    starters = [*demo_kiosk_platforms.KIOSK_PLATFORMS, stand_in_civil]
    monkeypatch.setattr(demo_kiosk_platforms, "KIOSK_PLATFORMS", starters)
    async with kiosk_world(tmp_path, mosquitto_url) as world:
        yield world


async def _card_on_the_reader(kw: KioskWorld, page: Page) -> IdCardText:
    """The sample card 王晓明 on the kiosk's ID-card reader. Until the shell's
    ``Kiosk.readCard`` (POST /kiosk/api/idcard/read) is merged, its read is put into the
    agent's session as that route does (the screen then uses the card already read)."""
    assert kw.kiosk.idcard is not None
    card = kw.kiosk.idcard.insert(0)
    if not await page.evaluate("typeof window.Kiosk.readCard === 'function'"):
        assert kw.kiosk.agent.kiosk is not None
        read = {"id_number": card.id_number, "name": card.name, "read_at": "now"}
        kw.kiosk.agent.kiosk.session.put("idcard", read)
    return card


async def _to_the_subsidy_query(page: Page) -> None:
    await page.locator("[data-screen='queries']").tap()
    await expect(page.locator("#k-title")).to_have_text("便民查询：请选择类别")
    await assert_accessible(page, "queries: categories")
    await page.locator("[data-category='welfare']").tap()
    await assert_accessible(page, "queries: list")
    await page.locator("[data-query='standin_subsidy']").tap()
    await expect(page.locator("#k-title")).to_have_text("高龄补贴发放查询")
    await expect(page.get_by_label("年度")).to_be_visible()  # the optional input, as a field


async def test_card_code_result_print_and_exit(browser: Browser, kw: KioskWorld) -> None:
    assert kw.world.platforms.sms is not None
    async with touch_page(browser, kw.url) as page:
        card = await _card_on_the_reader(kw, page)
        await _to_the_subsidy_query(page)
        await assert_accessible(page, "queries: a person query")
        await page.locator("#kq-card").tap()
        masked = PHONE[:3] + "****" + PHONE[-4:]
        await expect(page.locator("#kq-status")).to_contain_text(f"验证码已发送至 {masked}")
        await assert_accessible(page, "queries: type the code")
        code = kw.world.platforms.sms.sent[-1].params["code"]
        await page.locator("#kq-code").fill(code)
        await page.locator("#kq-verify").tap()
        table = page.locator(".kq-table")
        await expect(table).to_contain_text(card.name[0] + "*" + card.name[-1])
        await expect(table).to_contain_text("****" + ACCOUNT[-4:])
        assert card.id_number not in await page.content()
        await assert_accessible(page, "queries: the result")
        await page.locator("#kq-next").tap()
        await expect(page.locator(".kq-page")).to_contain_text("第 2/2 页")
        await expect(table).to_contain_text("2026-12")
        await page.locator("#kq-print").tap()
        await expect(page.get_by_text("正在打印，请取走凭条。")).to_be_visible()
        [receipt] = await kw.kiosk.printer.wait_for_receipts(1, timeout=20)
        assert "高龄补贴发放查询" in receipt.text and card.id_number not in receipt.text
        await page.locator("#k-exit").tap()
        await expect(page.locator("#k-title")).to_have_text("请选择您要办理的事项")
        agent = kw.kiosk.agent.kiosk
        assert agent is not None and agent.session.get("queries.identity") is None
        await _to_the_subsidy_query(page)  # the identity went with the exit: card again
        await expect(page.locator("#kq-card")).to_be_visible()


async def test_a_wrong_code_says_how_many_tries_are_left(browser: Browser, kw: KioskWorld) -> None:
    assert kw.world.platforms.sms is not None
    async with touch_page(browser, kw.url) as page:
        await _card_on_the_reader(kw, page)
        await _to_the_subsidy_query(page)
        await page.locator("#kq-card").tap()
        await expect(page.locator("#kq-status")).to_contain_text("验证码已发送至")
        right = kw.world.platforms.sms.sent[-1].params["code"]
        await page.locator("#kq-code").fill("000000" if right != "000000" else "111111")
        await page.locator("#kq-verify").tap()
        await expect(page.locator("#kq-status")).to_contain_text("还可以再试 4 次")
        await assert_accessible(page, "queries: a wrong code")


async def test_a_public_query_with_a_plate_against_the_police_simulator(
    browser: Browser, kw: KioskWorld
) -> None:
    """No card, no code: the plate's province from the list, the rest typed; the real police
    adapter and simulator answer the violations table."""
    async with touch_page(browser, kw.url) as page:
        await page.locator("[data-screen='queries']").tap()
        await page.locator("[data-category='transport']").tap()
        await page.locator("[data-query='police_traffic_violations']").tap()
        await expect(page.locator("#kq-in-plate-province")).to_have_value("青")
        await page.locator("#kq-in-plate").fill("HA1234")
        await page.locator("#kq-in-engine_tail").fill("305127")
        await assert_accessible(page, "queries: a public query's inputs")
        await page.locator("#kq-run").tap()
        await expect(page.locator(".kq-table")).to_contain_text("机动车违反禁止标线指示")
        await assert_accessible(page, "queries: a public result")
