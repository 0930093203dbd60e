"""A citizen books an appointment at the kiosk (service → day → time → ID card → phone),
gets the confirmation text (SMS simulator), cancels it (another text); books again and checks
in: the kiosk's receipt printer prints the priority ticket. Every screen passes WCAG 2.2 AA."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from cloud.db import sites as site_repo
from cloud.db.models import utcnow
from cloud.kiosk.appointments_tables import AppointmentSlot
from fleet.queue import hall_day
from tests.browser.kiosk_kit import HHL, KioskWorld, assert_accessible, kiosk_world, touch_page

PHONE = "13900139000"


async def _slot(kw: KioskWorld) -> None:
    start = utcnow() + timedelta(minutes=5)
    assert kw.world.sessions is not None
    async with kw.world.sessions() as s:
        site = await site_repo.require(s, HHL)
        s.add(
            AppointmentSlot(
                site_id=site.id,
                service_code="residence",
                day=hall_day(start).isoformat(),
                starts_at=start,
                ends_at=start + timedelta(minutes=30),
                capacity=3,
                booked=0,
            )
        )
        await s.commit()


async def _book(page: Page, check: bool) -> str:
    await page.locator("[data-screen='appointments']").tap()
    if check:
        await assert_accessible(page, "appointments start")
    await page.locator("[data-action='book']").tap()
    await page.locator("[data-service='residence']").tap()
    if check:
        await assert_accessible(page, "appointments service")
    await page.locator("[data-day]").first.tap()
    await page.locator("[data-slot]").first.tap()
    await page.locator("#appt-card").tap()
    await expect(page.locator("#appt-confirm")).to_be_enabled()
    await page.locator("#appt-phone").fill(PHONE)
    if check:
        await assert_accessible(page, "appointments confirm")
    await page.locator("#appt-confirm").tap()
    booked = page.locator("#appt-booked")
    await expect(booked).to_contain_text("预约成功")
    if check:
        await assert_accessible(page, "appointments booked")
    text = await booked.text_content() or ""
    return text.split("预约号 ")[1].split("，")[0]


async def _mine(page: Page, ref: str) -> None:
    await page.locator("#k-home").tap()
    await page.locator("[data-screen='appointments']").tap()
    await page.locator("[data-action='mine']").tap()
    await page.locator("#appt-card").tap()
    await expect(page.locator(f"[data-ref='{ref}']")).to_be_visible()


async def test_book_cancel_then_book_and_check_in(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with kiosk_world(tmp_path, mosquitto_url) as kw:
        assert kw.kiosk.idcard is not None  # the shell's route reads the reader simulator
        kw.kiosk.idcard.insert(0)
        await _slot(kw)
        sms = kw.world.platforms.sms
        assert sms is not None
        async with touch_page(browser, kw.url) as page:
            ref = await _book(page, check=True)
            assert [(t.template_id, t.phone, t.params["ref"]) for t in sms.sent] == [
                ("KF_APPT_BOOKED", PHONE, ref)
            ]
            await _mine(page, ref)
            await assert_accessible(page, "my appointments")
            await page.locator(f"[data-ref='{ref}'] [data-act='cancel']").tap()
            await expect(page.locator("#appt-cancelled")).to_contain_text(ref)
            assert sms.sent[-1].template_id == "KF_APPT_CANCELLED"
            await page.locator("#k-home").tap()
            second = await _book(page, check=False)
            await _mine(page, second)
            await page.locator(f"[data-ref='{second}'] [data-act='check-in']").tap()
            await expect(page.locator("#appt-ticket")).to_contain_text("签到成功")
            await assert_accessible(page, "checked in")
        [receipt] = await kw.kiosk.printer.wait_for_receipts(1, timeout=20)
        assert f"预约签到 Appointment {second}" in receipt.text
