"""自助填表 as a citizen does it on a pilot kiosk: choose the 个人信息登记表, read the ID card
(its fields filled, masked, read-only), type a wrong phone number (the form fails its schema:
said at the field, nothing printed), hand the form to the phone by scanning the kiosk's QR code
(the phone page: its own check, then sent once; the link is spent), back on the kiosk with
the phone's answers, print on A4 with the form's layout. Every screen passes axe (WCAG 2.2 AA).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from playwright.async_api import Browser, Page, expect

from protocols.idcard import mask_name
from tests.browser.kiosk_kit import KIOSK, KioskWorld, assert_accessible, kiosk_world, touch_page
from tests.kiosk.guide_pdf_read import pdf_text
from tests.qr_read import read_qr

PHONE_NUMBER = "13912345678"
ADDRESS = "格尔木市河西街道昆仑路 8 号"
GOOD_CARD = "6222020200112345679"  # its Luhn digit is right


@pytest.fixture
async def kw(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[KioskWorld]:
    async with kiosk_world(tmp_path, mosquitto_url) as world:
        yield world


async def _qr_link(page: Page) -> str:
    img = page.locator(".forms-qr img")
    await expect(img).to_be_visible()
    await page.wait_for_function("document.querySelector('.forms-qr img').naturalWidth > 0")
    png = await img.screenshot()
    link = read_qr(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE))
    assert "/f/" in link, link
    return link


async def _fill_on_the_phone(browser: Browser, link: str) -> None:
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, locale="zh-CN"
    )
    try:
        phone = await context.new_page()
        await phone.goto(link)
        await expect(phone.locator("h1")).to_have_text("个人信息登记表")
        await expect(phone.get_by_label("姓名")).to_have_value("由自助终端读取身份证填写")
        await assert_accessible(phone, "the phone page")
        await phone.locator(".pf-lang").tap()  # English on a tap, and back
        await expect(phone.locator("h1")).to_have_text("Personal information form")
        await expect(phone.get_by_label("Mobile phone")).to_be_visible()
        await phone.locator(".pf-lang").tap()
        await phone.locator("#pf-send").tap()  # nothing typed: each problem at its field
        await expect(phone.locator("#pf-phone-problem")).to_contain_text("请填写手机号码")
        await expect(phone.get_by_label("手机号码")).to_have_attribute("aria-invalid", "true")
        await assert_accessible(phone, "the phone page with problems")
        await phone.get_by_label("手机号码").fill(PHONE_NUMBER)
        await phone.get_by_label("现住址").fill(ADDRESS)
        await phone.locator("#pf-send").tap()
        await expect(phone.locator(".pf-done h1")).to_have_text("已提交")
        spent = await phone.goto(link)
        assert spent is not None and spent.status == 410
        await expect(phone.locator("h1")).to_contain_text("已失效")
    finally:
        await context.close()


async def test_a_form_started_on_the_kiosk_finished_on_a_phone_and_printed(
    browser: Browser, kw: KioskWorld
) -> None:
    assert kw.kiosk.idcard is not None
    card = kw.kiosk.idcard.insert(0)
    async with touch_page(browser, kw.url) as page:
        await page.locator("button.tile[data-screen='forms']").tap()
        await expect(page.locator(".forms-choose[data-form='personal-info']")).to_be_visible()
        await assert_accessible(page, "forms: the list")
        await page.locator(".forms-choose[data-form='personal-info']").tap()
        await expect(page.locator("#k-title")).to_have_text("个人信息登记表")
        await page.locator("#forms-card").tap()
        name = page.locator("#kf-personal-info-name")
        await expect(name).to_have_value(mask_name(card.name))
        assert card.id_number not in await page.content()
        await assert_accessible(page, "forms: filling on the kiosk")

        await page.locator("#kf-personal-info-phone").fill("123")
        await page.locator("#forms-print").tap()
        await expect(page.locator("#kf-personal-info-phone-problem")).to_contain_text("手机号码")
        await expect(page.locator(".forms-status .msg.warn")).to_be_visible()
        await assert_accessible(page, "forms: problems shown")

        await page.locator("#kf-personal-info-phone").fill("")
        await page.locator("#forms-phone").tap()
        await expect(page.locator("#k-title")).to_have_text("用手机填写")
        link = await _qr_link(page)
        await assert_accessible(page, "forms: the phone's QR code")
        await _fill_on_the_phone(browser, link)

        await expect(page.locator("#k-title")).to_have_text("个人信息登记表", timeout=15000)
        await expect(page.locator(".forms-status .msg.ok")).to_contain_text("手机")
        await expect(page.locator("#kf-personal-info-phone")).to_have_value(PHONE_NUMBER)
        async with page.expect_response("**/forms/personal-info/print") as answer:
            await page.locator("#forms-print").tap()
        printed = await (await answer.value).json()
        await expect(page.locator(".forms-status .msg.ok")).to_contain_text("取走表单")

    async with httpx.AsyncClient(
        base_url=kw.world.base_url, headers=kw.world.headers, timeout=40
    ) as client:
        done = await client.get(f"/api/v1/jobs/{printed['job_id']}", params={"wait_s": 30})
    assert done.json()["state"] == "succeeded", done.text
    assert done.json()["purpose"] == "form"
    pdfs = list(kw.world.a4_dir(KIOSK).glob("**/*.pdf"))
    assert len(pdfs) == 1
    text = pdf_text(pdfs[0].read_bytes())
    for shown in ("个人信息登记表", card.name, card.id_number, PHONE_NUMBER, "申请人签字"):
        assert shown in text, shown


async def test_choices_a_yes_no_and_a_bank_card_checked_on_the_kiosk(
    browser: Browser, kw: KioskWorld
) -> None:
    """The 城乡居民基本养老保险参保登记表: whole-number choices (缴费档次) typed as numbers, a
    bank card refused by its check digit at its field, then printed."""
    assert kw.kiosk.idcard is not None
    kw.kiosk.idcard.insert(0)
    async with touch_page(browser, kw.url) as page:
        await page.locator("#k-lang").tap()  # English
        await page.locator("button.tile[data-screen='forms']").tap()
        await page.locator(".forms-choose[data-form='pension-enrol']").tap()
        await expect(page.locator("#k-title")).to_contain_text("enrolment form")
        await page.locator("#forms-card").tap()
        await expect(page.locator("#kf-pension-enrol-id_number")).to_have_value(re.compile(r"\*"))
        await page.get_by_label("Hukou type").select_option("农业")
        await page.get_by_label("Contribution grade (yuan a year)").select_option("300")
        await page.get_by_label("Phone").fill(PHONE_NUMBER)
        await page.get_by_label("Registered address").fill(ADDRESS)
        card = page.get_by_label("Bank account of the social security card")
        await card.fill(GOOD_CARD[:-1] + "0")
        await page.get_by_label("Severely disabled or in hardship").check()
        await page.locator("#forms-print").tap()
        problem = page.locator("#kf-pension-enrol-bank_card-problem")
        await expect(problem).to_contain_text("check digit")
        await expect(card).to_have_attribute("aria-invalid", "true")
        await assert_accessible(page, "forms: a bank card refused, in English")
        await card.fill(GOOD_CARD)
        async with page.expect_response("**/forms/pension-enrol/print") as answer:
            await page.locator("#forms-print").tap()
        assert (await answer.value).status == 201
        await expect(page.locator(".forms-status .msg.ok")).to_be_visible()
        await expect(problem).to_be_hidden()
