"""The utilities' bill adapter (cloud/kiosk/pay/bills_http.py) against their simulator: each
company's wire style read into one bill, the account that does not exist, nothing due, the
"paid" write-back (once per order number, refused for a changed bill), and every failure
bounded and named: a stall past the timeout, maintenance, an HTML page, a wrong key."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from cloud.kiosk.pay.bills import (
    AccountNotFound,
    NothingDue,
    Utility,
    UtilityError,
    UtilityNotConfigured,
    UtilityTimeout,
    UtilityUnavailable,
)
from cloud.kiosk.pay.bills_http import BillChangedAtCompany, HttpUtilityBills
from cloud.settings_kiosk import DepartmentEndpoint
from simulators.utility_bills import UtilityBillsSim
from tests.kiosk.pay_kit import ACCOUNTS


@pytest.fixture
async def sim() -> AsyncIterator[UtilityBillsSim]:
    async with UtilityBillsSim() as s:
        yield s


def adapter(
    sim: UtilityBillsSim, secret: str | None = None, timeout_s: float = 1.0
) -> HttpUtilityBills:
    endpoint = DepartmentEndpoint(
        url=sim.url, app_id=sim.app_id, secret=SecretStr(secret or sim.secret), timeout_s=timeout_s
    )
    return HttpUtilityBills(endpoint)


@pytest.mark.parametrize("utility", list(ACCOUNTS))
async def test_each_company_is_read_into_one_bill(sim: UtilityBillsSim, utility: Utility) -> None:
    bills = adapter(sim)
    try:
        bill = await bills.bill(utility, ACCOUNTS[utility])
        seeded = sim.accounts[(utility, ACCOUNTS[utility])]
        assert (bill.amount_fen, bill.bill_no, bill.holder, bill.period) == (
            seeded.amount_fen,
            seeded.bill_no,
            seeded.holder,
            seeded.period,
        )
        await bills.mark_paid(bill, "20261207120000000001")
        await bills.mark_paid(bill, "20261207120000000001")  # a retry: the same write-back
        assert [p.out_trade_no for p in sim.paid] == ["20261207120000000001"]
        with pytest.raises(NothingDue):
            await bills.bill(utility, ACCOUNTS[utility])  # settled
    finally:
        await bills.close()


async def test_an_unknown_account_and_a_changed_bill(sim: UtilityBillsSim) -> None:
    bills = adapter(sim)
    try:
        with pytest.raises(AccountNotFound) as missing:
            await bills.bill("landline", "09790000000")
        assert "固话费户号" in missing.value.citizen[0]
        bill = await bills.bill("water", ACCOUNTS["water"])
        sim.change_bill("water", ACCOUNTS["water"], 7000)
        with pytest.raises(BillChangedAtCompany):
            await bills.mark_paid(bill, "20261207120000000002")
        assert sim.paid == []
    finally:
        await bills.close()


async def test_a_stall_is_cut_at_the_timeout(sim: UtilityBillsSim) -> None:
    sim.faults.stall_s = 5
    bills = adapter(sim, timeout_s=0.3)
    started = time.monotonic()
    try:
        with pytest.raises(UtilityTimeout):
            await bills.bill("power", ACCOUNTS["power"])
    finally:
        await bills.close()
    assert time.monotonic() - started < 4  # before the 5 s stall ends, with room for load


async def test_maintenance_an_html_page_and_a_wrong_key(sim: UtilityBillsSim) -> None:
    sim.faults.maintenance_until = datetime.now(UTC) + timedelta(minutes=30)
    bills = adapter(sim)
    try:
        with pytest.raises(UtilityUnavailable):
            await bills.bill("gas", ACCOUNTS["gas"])
        sim.faults.maintenance_until = None
        sim.faults.malformed = True
        with pytest.raises(UtilityError) as html:
            await bills.bill("gas", ACCOUNTS["gas"])
        assert "not JSON" in str(html.value)
        sim.faults.malformed = False
    finally:
        await bills.close()
    wrong = adapter(sim, secret="not-the-key")
    try:
        with pytest.raises(UtilityError) as refused:
            await wrong.bill("gas", ACCOUNTS["gas"])
        assert "401" in str(refused.value)
    finally:
        await wrong.close()


async def test_not_configured_says_so() -> None:
    with pytest.raises(UtilityNotConfigured):
        await HttpUtilityBills(None).bill("water", "3100012345")
