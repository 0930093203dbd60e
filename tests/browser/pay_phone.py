"""The citizen's phone in the payment browser tests: it "scans" the kiosk's QR code and pays.

For the double channel (tests/kiosk/pay_double.py) the gateway marks the trade paid and its
signed notification is posted to the demo cloud's notify endpoint. A real channel's simulator
(Alipay, ICBC, CCB) serves the QR content as its small phone page (``/pay/{qr}``), where the
person trying the demo confirms (确认付款 / 确认支付): the test opens it in a phone-sized page and
taps that button.
"""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Browser
from sqlalchemy import select

from cloud.kiosk.pay.orders_tables import PayOrder
from kfleet.world.demo import DemoWorld
from tests.kiosk.pay_double import DoubleGateway

CONFIRM = re.compile(r"确认支付|确认付款|Confirm")


async def latest_order(world: DemoWorld) -> PayOrder:
    assert world.sessions is not None
    async with world.sessions() as s:
        row = await s.scalar(select(PayOrder).order_by(PayOrder.created_at.desc()).limit(1))
    assert row is not None, "no order was made"
    return row


async def notify_double(world: DemoWorld, body: bytes) -> httpx.Response:
    async with httpx.AsyncClient(base_url=world.base_url, timeout=30) as client:
        return await client.post(
            "/api/v1/pay/notify/double",
            content=body,
            headers={"Content-Type": "application/json"},
        )


async def phone_pays(
    browser: Browser, world: DemoWorld, gateway: DoubleGateway, order: PayOrder
) -> None:
    if order.channel == "double":
        r = await notify_double(world, await gateway.phone_pays(order.out_trade_no))
        assert (r.status_code, r.text) == (200, "success")
        return
    assert order.qr_content.startswith("http"), f"{order.channel}: no phone page in the QR"
    context = await browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        page = await context.new_page()
        await page.goto(order.qr_content)
        async with page.expect_navigation():  # the confirm form posts; its answer is the proof
            await page.get_by_role("button", name=CONFIRM).first.tap()
    finally:
        await context.close()
