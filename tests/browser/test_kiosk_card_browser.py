"""Kiosk.readCard() on a pilot kiosk with its ID-card reader simulator: the prompt with a
取消 button, the masked card on screen and the whole card only in the agent's session; 取消
stops the wait; an unplugged reader is a sentence for the citizen."""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import Browser, expect

from simulators.idcard_reader import SAMPLE_CARDS
from tests.browser.kiosk_kit import assert_accessible, kiosk_world, touch_page

CARD = SAMPLE_CARDS[0]


async def test_read_card_cancel_and_fault(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with kiosk_world(tmp_path, mosquitto_url) as kw, touch_page(browser, kw.url) as page:
        sim, parts = kw.kiosk.idcard, kw.kiosk.agent.kiosk
        assert sim is not None and parts is not None
        await page.evaluate("() => { window.__read = Kiosk.readCard({timeout_s: 30}); }")
        prompt = page.locator("#k-card")
        await expect(prompt).to_be_visible()
        await expect(prompt).to_contain_text("请将身份证放在读卡区")
        await assert_accessible(page, "ID card prompt")
        await page.locator("#k-card-cancel").tap()
        async with asyncio.timeout(10):  # 取消 ends the wait at once, not after 30 s
            cancelled = await page.evaluate("window.__read")
        assert cancelled["status"] == 409 and cancelled["data"]["code"] == "idcard_cancelled"
        await expect(prompt).to_have_count(0)

        sim.insert(0)
        answer = await page.evaluate("Kiosk.readCard({timeout_s: 5})")
        assert answer["ok"], answer
        assert answer["data"]["id_number"] == "6328**********0137"
        assert answer["data"]["name"] == "王*"
        assert CARD.id_number not in await page.content()
        assert parts.session.get("idcard")["id_number"] == CARD.id_number

        sim.unplug()
        fault = await page.evaluate("Kiosk.readCard({timeout_s: 2})")
        assert fault["status"] == 503 and fault["data"]["code"] == "idcard_reader_fault"
        text = await page.evaluate("(a) => Kiosk.errorText(a)", fault)
        assert "身份证阅读器" in text
