"""The Alipay trade statement (业务明细): downloaded through the simulated gateway and parsed, and
the parser's refusals of what is not Alipay's file."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cloud.hall.ticket_token import HALL_TZ
from cloud.kiosk.pay.alipay_bill import BillFormatError, detail_lines, statement_lines
from cloud.kiosk.pay.channel import ChannelError
from simulators.alipay_gateway_bill import BillRow
from tests.kiosk.alipay_kit import alipay_world, order

#: the shape of a real detail file (GBK): ``#`` lines, a header, cells ending in a tab
SAMPLE = (
    (Path(__file__).parent.parent / "fixtures/alipay/20881021778468800156_20261206_业务明细.csv")
    .read_bytes()
    .decode("gbk")
)


def test_the_documented_detail_file_reads_as_a_payment_and_a_refund() -> None:
    pay, refund = detail_lines(SAMPLE)
    assert (pay.kind, pay.amount_fen, pay.out_trade_no) == ("pay", 8650, "K20261206000001")
    assert pay.trade_no == "2026120622001424330500000001"
    assert pay.at == datetime(2026, 12, 6, 9, 0, 31, tzinfo=HALL_TZ)
    assert (refund.kind, refund.amount_fen, refund.out_refund_no) == (
        "refund",
        650,
        "R20261206000001",
    )


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("archive", "why"),
    [
        (b"PK not really", "not a zip"),
        (_zip({"x_业务明细(汇总).csv": b""}), "expected one"),
        (_zip({"x_业务明细.csv": "a,b\n1,2\n".encode("gbk")}), "header lacks"),
        (
            _zip(
                {"x_业务明细.csv": SAMPLE.replace("86.50\t,86.50", "86.5x\t,86.50").encode("gbk")}
            ),
            "row 2",
        ),
        (_zip({"x_业务明细.csv": SAMPLE.replace(",交易", ",冲正").encode("gbk")}), "kind"),
        (_zip({"x_业务明细.csv": SAMPLE.replace(",\t\n", "\n").encode("gbk")}), "cells"),
    ],
)
def test_what_is_not_alipays_statement_is_refused(archive: bytes, why: str) -> None:
    with pytest.raises(BillFormatError, match=why):
        statement_lines(archive)


async def test_a_days_payments_and_refunds_come_back_from_the_gateways_statement() -> None:
    async with alipay_world(bills_same_day=True) as (sim, channel, inbox):
        for number, amount in (("K-b1", 8650), ("K-b2", 12000)):
            await channel.precreate(order(inbox, number, amount))
            assert sim.pay(number)
        await channel.refund("K-b2", "R-b2", 2000, "多收")
        today = datetime.now(UTC).astimezone(HALL_TZ).date()
        planted = sim.trade("K-b1")
        assert planted is not None
        sim.planted.append(  # a payment our orders never saw: reconciliation must flag it
            (
                today,
                BillRow(
                    "2026X",
                    "K-ghost",
                    "交易",
                    "?",
                    planted.created_at,
                    planted.created_at,
                    500,
                    500,
                ),
            )
        )
        lines = await channel.statement(today)
        got = sorted((ln.out_trade_no, ln.kind, ln.amount_fen, ln.out_refund_no) for ln in lines)
        assert got == [
            ("K-b1", "pay", 8650, ""),
            ("K-b2", "pay", 12000, ""),
            ("K-b2", "refund", 2000, "R-b2"),
            ("K-ghost", "pay", 500, ""),
        ]
        trade = sim.trade("K-b2")
        assert trade is not None and {ln.trade_no for ln in lines if ln.out_trade_no == "K-b2"} == {
            trade.trade_no
        }


async def test_a_statement_not_made_yet_is_a_channel_error() -> None:
    async with alipay_world() as (_sim, channel, _inbox):
        today = datetime.now(UTC).astimezone(HALL_TZ).date()
        for day in (today, today + timedelta(days=1)):
            with pytest.raises(ChannelError, match=r"isp\.bill_not_exist"):
                await channel.statement(day)
        assert await channel.statement(today - timedelta(days=1)) == []
