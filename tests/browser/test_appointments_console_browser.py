"""The console's appointment calendar in a real browser: an operator generates a week of
slots for a pilot hall's service, sees them with places held / capacity, and the bookings of
the day masked; the page reads in English."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import select

from cloud.db import sites as site_repo
from cloud.db.models import utcnow
from cloud.kiosk.appointments_tables import AppointmentBooking, AppointmentSlot
from fleet.queue import hall_day
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from tests.browser.console_login import signed_in_page
from tests.browser.test_screen_browser import watch_errors

HHL = "qh/hx/golmud/hhl"


@pytest.fixture
async def world(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    opts = DemoOptions(data_dir=tmp_path, broker_url=mosquitto_url, port=0, kiosks=[])
    async with running_demo(opts) as w:
        yield w


async def _booked_one(world: DemoWorld, day: str) -> str:
    assert world.sessions is not None
    async with world.sessions() as s:
        site_id = (await site_repo.require(s, HHL)).id
        slot = await s.scalar(
            select(AppointmentSlot)
            .where(AppointmentSlot.site_id == site_id, AppointmentSlot.day == day)
            .order_by(AppointmentSlot.starts_at)
            .limit(1)
        )
        assert slot is not None
        slot.booked = 1
        s.add(
            AppointmentBooking(
                ref="Y000000-0001",
                slot_id=slot.id,
                site_id=slot.site_id,
                service_code=slot.service_code,
                day=slot.day,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                person="0" * 64,
                id_masked="6328**********1234",
                name_masked="张*",
                phone="13800138000",
                state="booked",
                holding="x",
                sms_sent=True,
            )
        )
        await s.commit()
    return "Y000000-0001"


async def test_generate_see_and_list(browser: Browser, world: DemoWorld) -> None:
    day = (hall_day(utcnow()) + timedelta(days=5)).isoformat()
    page = await signed_in_page(browser, world)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/appointments?site={HHL}")
    await expect(page.get_by_role("link", name="预约日历")).to_be_visible()
    form = page.locator("#ap-generate")
    await form.locator("input[name=service]").fill("residence")
    await form.locator("input[name=start]").fill(day)
    await form.locator("input[name=days]").fill("1")
    await form.locator("input[name=weekend]").check()
    await page.locator("#ap-generate-go").click()
    await expect(page.locator("#ap-generated")).to_contain_text("已生成 3 个时段")
    await page.locator("#ap-filters input[name=start]").fill(day)
    await page.locator("#ap-show").click()
    row = page.locator(f'#ap-calendar-rows tr[data-key="{day}|residence"]')
    await expect(row).to_contain_text("09:00-09:30 0/4")
    ref = await _booked_one(world, day)
    await page.locator("#ap-day input[name=date]").fill(day)
    await page.locator("#ap-day button").click()
    booking = page.locator(f'#ap-booking-rows tr[data-ref="{ref}"]')
    await expect(booking).to_contain_text("张* 6328**********1234")
    await expect(booking).to_contain_text("138****8000")
    await page.goto(f"{world.base_url}/appointments?site={HHL}&lang=en")
    await expect(page.locator("h1")).to_have_text("Appointments")
    assert errors == []
