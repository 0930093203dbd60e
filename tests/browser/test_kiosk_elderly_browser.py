"""高龄补贴 on a pilot kiosk as a citizen does it, through the simulators: the ID card on the
reader simulator, the 民政局 simulator, the face-verification simulator and the kiosk's
synthetic camera. A 69-year-old (70 tomorrow) is refused with the reason; a citizen 70 today
registers (a bank card with a wrong check digit first), the application reaches the 民政局 and
the receipt prints; a registered citizen certifies by face (pass), and each failure (mismatch,
not live, no answer in time) says what to do. Every screen passes the WCAG 2.2 AA check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from protocols.idcard.text import IdCardText, id_check_digit
from simulators.dept_civil import CivilDepartment
from simulators.dept_people import LI_GUIYING
from simulators.face_verify import FaceVerifySim
from tests.browser.kiosk_kit import KioskWorld, assert_accessible, kiosk_world, touch_page

BEIJING = timezone(timedelta(hours=8))
F = "#kf-qh_elderly_allowance-"
GOOD_CARD = "6222021234567890128"  # Luhn-valid
BAD_CARD = "6222021234567890127"


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return date(day.year - years, 3, 1)


def card_born(birth: date, name: str = "赵秀英") -> IdCardText:
    first17 = f"632801{birth:%Y%m%d}032"
    return IdCardText(
        name=name,
        sex="女",
        nation="汉",
        birth_date=birth,
        address="青海省格尔木市河西街道盐湖路66号",
        id_number=first17 + id_check_digit(first17),
        issuer="格尔木市公安局",
        valid_from=date(2016, 1, 1),
        valid_until="长期",
    )


def li_guiying() -> IdCardText:
    c = LI_GUIYING
    return IdCardText(
        name=c.name,
        sex=c.sex,
        nation="汉",
        birth_date=date.fromisoformat(c.birth),
        address=c.address,
        id_number=c.id_number,
        issuer="格尔木市公安局",
        valid_from=date(2010, 1, 1),
        valid_until="长期",
    )


@pytest.fixture
async def kw(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[KioskWorld]:
    async with kiosk_world(tmp_path, mosquitto_url) as world:
        yield world


def civil(kw: KioskWorld) -> CivilDepartment:
    sim = kw.world.platforms.running["civil"]
    assert isinstance(sim, CivilDepartment)
    return sim


def face(kw: KioskWorld) -> FaceVerifySim:
    sim = kw.world.platforms.running["face_verify"]
    assert isinstance(sim, FaceVerifySim)
    return sim


async def _open(page: Page, which: str) -> None:
    await page.locator("[data-screen='elderly']").tap()
    await expect(page.locator("#k-title")).to_have_text("高龄补贴登记与认证")
    await assert_accessible(page, "elderly: home")
    await page.locator(which).tap()


async def test_a_69_year_old_is_refused_with_the_reason(browser: Browser, kw: KioskWorld) -> None:
    today = datetime.now(BEIJING).date()
    birth = _years_before(today, 70) + timedelta(days=1)  # 70 tomorrow
    assert kw.kiosk.idcard is not None
    kw.kiosk.idcard.insert(card_born(birth))
    async with touch_page(browser, kw.url) as page:
        await _open(page, "#ke-register")
        refused = page.locator("#ke-refused")
        await expect(refused).to_contain_text("您今年69周岁")
        await expect(refused).to_contain_text(f"{birth.year + 70}年{birth.month}月{birth.day}日")
        await assert_accessible(page, "elderly: refused")
        await expect(page.locator(F + "bank_card")).to_have_count(0)
    assert civil(kw).allowance.applications == {}


async def test_a_70_year_old_registers_and_gets_a_receipt(browser: Browser, kw: KioskWorld) -> None:
    card = card_born(_years_before(datetime.now(BEIJING).date(), 70))  # 70 today
    assert kw.kiosk.idcard is not None
    kw.kiosk.idcard.insert(card)
    async with touch_page(browser, kw.url) as page:
        await _open(page, "#ke-register")
        await expect(page.locator("#k-title")).to_have_text("青海省高龄补贴登记表")
        await expect(page.locator("#ke-status")).to_contain_text("您今年70周岁")
        await expect(page.locator(F + "name")).to_have_value("赵*")
        assert card.id_number not in await page.content()
        await page.locator(F + "phone").fill("13909790123")
        await page.locator(F + "community").select_option("河西街道")
        await page.locator(F + "bank").select_option("青海银行")
        await page.locator(F + "bank_card").fill(BAD_CARD)
        await page.locator(F + "declare").check()
        await assert_accessible(page, "elderly: the form")
        await page.locator("#ke-submit").tap()
        await expect(page.locator(F + "bank_card-problem")).to_contain_text("校验位不符")
        await assert_accessible(page, "elderly: a wrong bank card")
        assert civil(kw).allowance.applications == {}
        await page.locator(F + "bank_card").fill(GOOD_CARD)
        await page.locator("#ke-submit").tap()
        await expect(page.locator("#ke-number")).to_contain_text("GLBT")
        await assert_accessible(page, "elderly: accepted")
        [receipt] = await kw.kiosk.printer.wait_for_receipts(1, timeout=20)
    got = civil(kw).allowance.applications[card.id_number]
    assert (got["yhkh"], got["khyh"], got["sqjd"]) == (GOOD_CARD, "青海银行", "河西街道")
    assert got["csrq"] == card.birth_date.isoformat() and got["name"] == card.name
    assert "高龄补贴登记受理回执" in receipt.text and got["sqbh"] in receipt.text
    assert card.id_number not in receipt.text and GOOD_CARD not in receipt.text


async def _certify(page: Page) -> None:
    await _open(page, "#ke-certify")
    await expect(page.locator("#ke-cert-start")).to_be_visible()
    await assert_accessible(page, "elderly: before the certification")
    await page.locator("#ke-cert-start").tap()
    await expect(page.locator("#ke-action [data-action]")).to_be_visible()
    await assert_accessible(page, "elderly: an action")


def _no_clip_left(kw: KioskWorld) -> None:
    agent = kw.kiosk.agent.kiosk
    assert agent is not None
    assert list(agent.session.temp_dir.glob("face-*")) == []


#: the browser's speech synthesis, replaced by one that writes down what it is asked to say
LISTEN = """() => { window.__spoken = []; Object.defineProperty(window, "speechSynthesis", {
  configurable: true,
  value: { getVoices: () => [], cancel() {}, speak(u) { window.__spoken.push(u.text); } } }); }"""
SAID = {
    "blink": "请眨眨眼",
    "mouth": "请张张嘴",
    "left": "请慢慢向左转头",
    "right": "请慢慢向右转头",
}


async def test_certification_passes_and_is_recorded(browser: Browser, kw: KioskWorld) -> None:
    assert kw.kiosk.idcard is not None
    card = kw.kiosk.idcard.insert(li_guiying())
    async with touch_page(browser, kw.url) as page:
        await page.evaluate(LISTEN)
        await _certify(page)
        result = page.locator("#ke-result")
        await expect(result).to_have_attribute("data-result", "pass", timeout=30_000)
        await expect(result).to_contain_text("认证成功")
        await assert_accessible(page, "elderly: certified")
        [receipt] = await kw.kiosk.printer.wait_for_receipts(1, timeout=20)
        spoken = await page.evaluate("window.__spoken")
    [clip] = face(kw).received
    assert [SAID[a] for a in clip.actions] == [s for s in spoken if s in SAID.values()]
    assert clip.id_number == card.id_number and len(clip.actions) == 3 and clip.frames >= 5
    [recorded] = civil(kw).allowance.certifications
    assert recorded["idCard"] == card.id_number and recorded["rzfs"] == "人脸核验"
    assert "生存认证回执" in receipt.text and recorded["rzbh"] in receipt.text
    _no_clip_left(kw)


@pytest.mark.parametrize(
    ("verdict", "said"),
    [("mismatch", "比对不一致"), ("not_live", "未能确认是本人操作"), ("timeout", "响应超时")],
)
async def test_certification_failures_say_what_to_do(
    browser: Browser, kw: KioskWorld, verdict: str, said: str
) -> None:
    assert kw.kiosk.idcard is not None
    card = kw.kiosk.idcard.insert(li_guiying())
    if verdict == "timeout":
        face(kw).stall_s = 30.0  # beyond the demo's 4 s face_verify_timeout_s
    else:
        face(kw).verdicts[card.id_number] = verdict  # type: ignore[assignment]
    async with touch_page(browser, kw.url) as page:
        await _certify(page)
        result = page.locator("#ke-result")
        await expect(result).to_contain_text(said, timeout=30_000)
        await expect(page.locator("#ke-cert-again")).to_be_visible()
        await assert_accessible(page, f"elderly: {verdict}")
    assert civil(kw).allowance.certifications == []
    _no_clip_left(kw)
