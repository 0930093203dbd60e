"""证明开具 on a pilot kiosk, as a citizen does it, through the demo's simulated departments
and 电子证照库: the ID card on the reader, the code the SMS simulator "sent" to the phone on
file, the certificate's facts masked on screen, print → the kiosk's A4 printer receives the
PDF; the QR on that paper opens the cloud's verification page, which says genuine, and a
forged number says not; the licences are listed; the social security card is reported lost
and the loss lifted, each with a receipt. Every screen passes the WCAG 2.2 AA check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from protocols.fonts import find_cjk_font
from tests.browser.kiosk_kit import KIOSK, KioskWorld, assert_accessible, kiosk_world, touch_page
from tests.conftest import require_or_skip
from tests.kiosk.guide_pdf_read import pdf_qr, pdf_text

WANG, CAIRANG = 0, 2  # the ID-card reader simulator's sample cards


@pytest.fixture
async def kw(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[KioskWorld]:
    if find_cjk_font() is None:
        require_or_skip("a CJK font")
    async with kiosk_world(tmp_path, mosquitto_url) as world:
        yield world


async def _verified(kw: KioskWorld, page: Page, what: str) -> None:
    """The identity check on the screen now: card read, code typed from the SMS simulator."""
    assert kw.world.platforms.sms is not None
    await page.locator("#kc-card").tap()
    await expect(page.locator("#kc-status")).to_contain_text("验证码已发送至")
    await assert_accessible(page, f"{what}: type the code")
    await page.locator("#kq-code").fill(kw.world.platforms.sms.sent[-1].params["code"])
    await page.locator("#kq-verify").tap()


async def _printed_pdfs(kw: KioskWorld, count: int) -> list[bytes]:
    """The PDFs the kiosk's A4 printer simulator received, once there are ``count``."""
    folder = kw.world.a4_dir(KIOSK)
    async with httpx.AsyncClient(
        base_url=kw.world.base_url, headers=kw.world.headers, timeout=40
    ) as c:
        r = await c.get("/api/v1/jobs", params={"device": KIOSK, "kind": "print_document"})
        assert r.status_code == 200, r.text
        for job in r.json()["items"]:
            done = await c.get(f"/api/v1/jobs/{job['id']}", params={"wait_s": 30})
            assert done.json()["state"] == "succeeded", done.text
    pdfs = sorted(folder.glob("**/*.pdf"), key=lambda p: p.stat().st_mtime)
    assert len(pdfs) == count, pdfs
    return [p.read_bytes() for p in pdfs]


async def _print(kw: KioskWorld, page: Page, kind: str, name: str, first: bool) -> str:
    await page.locator("[data-screen='certs']").tap()
    await expect(page.locator("[data-cert='licences']")).to_be_visible()
    if first:
        await assert_accessible(page, "certificates: the list")
    await page.locator(f"[data-cert='{kind}']").tap()
    await expect(page.locator("#k-title")).to_have_text(name)
    if first:
        await assert_accessible(page, "certificates: identity")
        await _verified(kw, page, "certificates")
    await expect(page.locator("#kc-facts")).to_be_visible()
    await assert_accessible(page, f"certificates: {kind} preview")
    await page.locator("#kc-print").tap()
    status = page.locator("#kc-status .msg.ok")
    await expect(status).to_contain_text("证明编号 ZM")
    number = (await status.inner_text()).rsplit(" ", 1)[-1]
    return number


async def _check_paper(kw: KioskWorld, pdf: bytes, number: str, name: str) -> None:
    assert pdf.startswith(b"%PDF") and name in pdf_text(pdf) and number in pdf_text(pdf)
    url = urlsplit(pdf_qr(pdf))
    async with httpx.AsyncClient(base_url=kw.world.base_url, timeout=30) as public:
        genuine = await public.get(url.path)
        assert genuine.status_code == 200 and "该证明真实有效" in genuine.text
        assert number in genuine.text
        token = url.path.rsplit("/", 1)[-1]
        payload, mac = token.split(".")
        forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + mac
        fake = await public.get(f"/v/{forged}")
        assert fake.status_code == 404 and "证明可能不真实" in fake.text


async def test_pension_voucher_and_fund_certificate_licences_and_card(
    browser: Browser, kw: KioskWorld
) -> None:
    assert kw.kiosk.idcard is not None
    kw.kiosk.idcard.insert(WANG)
    async with touch_page(browser, kw.url) as page:
        number = await _print(kw, page, "pension_voucher", "企业职工养老保险缴费凭证", True)
        [pdf] = await _printed_pdfs(kw, 1)
        await _check_paper(kw, pdf, number, "企业职工养老保险缴费凭证")
        await page.goto(kw.url)
        name = "异地贷款职工住房公积金缴存使用证明"
        second = await _print(kw, page, "hpf_remote_loan", name, False)
        await _check_paper(kw, (await _printed_pdfs(kw, 2))[1], second, name)

        await page.goto(kw.url)
        await page.locator("[data-screen='certs']").tap()
        await page.locator("[data-cert='licences']").tap()
        await expect(page.locator("#kc-licences")).to_contain_text("结婚证")
        await expect(page.locator("#kc-licences")).to_contain_text("企业职工养老保险缴费凭证")
        await assert_accessible(page, "certificates: my licences")

        await page.goto(kw.url)
        await page.locator("[data-screen='certs']").tap()
        await page.locator("[data-cert='social-card']").tap()
        await expect(page.locator("#kc-facts")).to_contain_text("正常")
        await assert_accessible(page, "social card: status")
        await page.locator("#kc-loss").tap()
        await expect(page.locator("#kc-status .msg.ok")).to_contain_text("临时挂失")
        await page.goto(kw.url)
        await page.locator("[data-screen='certs']").tap()
        await page.locator("[data-cert='social-card']").tap()
        await expect(page.locator("#kc-facts")).to_contain_text("临时挂失")
        await page.locator("#kc-unloss").tap()
        await expect(page.locator("#kc-status .msg.ok")).to_contain_text("正常")
        await assert_accessible(page, "social card: lifted")
        receipts = await kw.kiosk.printer.wait_for_receipts(2, timeout=20)
        assert "挂失回执" in receipts[0].text and "解挂回执" in receipts[1].text


async def test_startup_and_no_housing_certificates(browser: Browser, kw: KioskWorld) -> None:
    assert kw.kiosk.idcard is not None
    kw.kiosk.idcard.insert(CAIRANG)
    async with touch_page(browser, kw.url) as page:
        first = await _print(kw, page, "startup_cert", "就业创业证", True)
        await page.goto(kw.url)
        second = await _print(kw, page, "no_housing", "无房证明", False)
        pdfs = await _printed_pdfs(kw, 2)
        await _check_paper(kw, pdfs[0], first, "就业创业证")
        await _check_paper(kw, pdfs[1], second, "无房证明")
