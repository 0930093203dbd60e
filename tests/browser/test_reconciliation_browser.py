"""The console's reconciliation page in a real browser, on the demo with its bank simulators:
yesterday's payments through the ICBC simulator, a planted statement difference and a payment
our orders never recorded, reconciled by the service (the order ledger built here: the order
service is another part's), then found on the page with both differences; the page reads in
English; "Reconcile now" answers; no WCAG 2.2 AA violation."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from cloud.kiosk.pay.channel import ChannelName, PaymentChannel
from cloud.kiosk.pay.icbc import IcbcChannel
from cloud.kiosk.pay.reconcile import ReconcileService
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from protocols.bank_sign import new_key_pair
from simulators.icbc_gateway import IcbcGatewaySim
from tests.browser.console_login import signed_in_page
from tests.browser.kiosk_kit import assert_accessible
from tests.browser.test_screen_browser import watch_errors
from tests.pay.reconcile_kit import Banks, BookLedger, pay, yesterday_noon


@pytest.fixture
async def world(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    opts = DemoOptions(
        data_dir=tmp_path, broker_url=mosquitto_url, port=0, kiosks=[], kiosk_sims=True
    )
    async with running_demo(opts) as w:
        yield w


async def _reconciled_with_a_planted_mismatch(world: DemoWorld) -> str:
    """Pays three orders at the demo's ICBC simulator "yesterday", plants a difference, and
    reconciles into the demo's database; the run's id."""
    sim = world.platforms.running["icbc"]
    assert isinstance(sim, IcbcGatewaySim) and world.sessions is not None
    at = yesterday_noon()
    sim.book.clock = lambda: at
    app_id = next(iter(sim.apps))
    private, public = new_key_pair()
    sim.apps[app_id] = public  # the test is the merchant here: its own key
    channel = IcbcChannel(sim.url, app_id, sim.mer_id, private, sim.gateway_public_pem)
    channels: dict[ChannelName, PaymentChannel] = {"icbc": channel}
    banks = Banks(sim, None, channels, BookLedger(), at.date())  # type: ignore[arg-type]
    await pay(banks, "icbc", "KFB1", 1500)
    await pay(banks, "icbc", "KFB2", 4200)
    await pay(banks, "icbc", "KFB3", 990, record=False)  # a citizen paid, our order never knew
    sim.book.amount_overrides["KFB2"] = 4100
    service = ReconcileService(world.sessions, channels, lambda: banks.ledger)
    result = await service.run("icbc", at.date())
    await channel.aclose()
    assert result.run.state == "mismatch"
    return result.run.id


async def test_the_planted_mismatch_is_shown(browser: Browser, world: DemoWorld) -> None:
    run_id = await _reconciled_with_a_planted_mismatch(world)
    page = await signed_in_page(browser, world)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/reconciliation")
    run = page.locator(f'#rc-run-rows tr[data-run="{run_id}"]')
    await expect(run).to_contain_text("有差异")
    await expect(run.locator("td").nth(3)).to_have_text("1")  # matched
    await expect(run.locator("td").nth(4)).to_have_text("2")  # differences
    await assert_accessible(page, "the reconciliation runs")
    await run.get_by_role("button").click()
    amount = page.locator('#rc-item-rows tr[data-order="KFB2"]')
    await expect(amount).to_contain_text("金额不一致")
    await expect(amount).to_contain_text("¥42.00")
    await expect(amount).to_contain_text("¥41.00")
    await expect(page.locator('#rc-item-rows tr[data-order="KFB3"]')).to_contain_text("本系统缺少")
    await assert_accessible(page, "a reconciliation's differences")
    await expect(page.get_by_role("link", name="支付对账")).to_be_visible()
    await page.goto(f"{world.base_url}/reconciliation?lang=en")
    await page.locator(f'#rc-run-rows tr[data-run="{run_id}"]').get_by_role("button").click()
    await expect(page.locator('#rc-item-rows tr[data-order="KFB3"]')).to_contain_text(
        "missing in our orders"
    )
    assert errors == []


async def test_reconcile_now_answers(browser: Browser, world: DemoWorld) -> None:
    page = await signed_in_page(browser, world)
    await page.goto(f"{world.base_url}/reconciliation")
    await page.locator("#rc-channel").select_option("ccb")
    await page.locator("#rc-run").click()
    await expect(page.locator("#rc-status")).to_have_text("请选择要对账的日期")
    await page.locator("#rc-day").fill(yesterday_noon().date().isoformat())
    await page.locator("#rc-run").click()
    # without the order service (another part) the cloud refuses with its reason; with it, the
    # demo's empty day is clean
    await expect(page.locator("#rc-status")).to_have_text(
        re.compile(r"(order service is not running|对账完成: 一致)")
    )
    await assert_accessible(page, "reconcile now")
