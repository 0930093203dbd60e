"""A day of payments through both bank simulators, and the ledger our orders would keep of it
(built here: the order service is another engineer's; it implements the same Protocol)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from cloud.hall.ticket_token import HALL_TZ
from cloud.kiosk.pay.ccb import CcbChannel
from cloud.kiosk.pay.channel import ChannelName, ChannelOrder, LedgerLine, PaymentChannel
from cloud.kiosk.pay.icbc import IcbcChannel
from protocols.bank_sign import new_key_pair
from simulators.ccb_gateway import CcbGatewaySim
from simulators.icbc_gateway import IcbcGatewaySim
from tests.pay.bank_kit import phone

APP = "10000000000000123456"


@dataclass
class BookLedger:
    """An :class:`OrderLedger`: the lines a test says our orders hold."""

    lines: dict[tuple[str, date], list[LedgerLine]] = field(default_factory=dict)

    async def ledger(self, channel: ChannelName, day: date) -> list[LedgerLine]:
        return list(self.lines.get((channel, day), []))

    def add(self, channel: str, day: date, line: LedgerLine) -> None:
        self.lines.setdefault((channel, day), []).append(line)


@dataclass
class Banks:
    icbc_sim: IcbcGatewaySim
    ccb_sim: CcbGatewaySim
    channels: dict[ChannelName, PaymentChannel]
    ledger: BookLedger
    day: date
    #: the merchant's ICBC key (the cloud's settings need it)
    icbc_private: str = ""

    def settings(self) -> dict[str, object]:
        """The cloud settings pointing at both simulators."""
        return {
            "icbc_gateway_url": self.icbc_sim.url,
            "icbc_app_id": APP,
            "icbc_mer_id": self.icbc_sim.mer_id,
            "icbc_private_key": self.icbc_private,
            "icbc_gateway_public_key": self.icbc_sim.gateway_public_pem,
            "ccb_gateway_url": self.ccb_sim.url,
            "ccb_merchant_id": self.ccb_sim.merchant_id,
            "ccb_pos_id": self.ccb_sim.pos_id,
            "ccb_branch_id": self.ccb_sim.branch_id,
            "ccb_public_key": self.ccb_sim.public_key_hex,
            "ccb_user_id": self.ccb_sim.user_id,
            "ccb_password": self.ccb_sim.password,
        }


def yesterday_noon() -> datetime:
    today = datetime.now(HALL_TZ).date()
    return datetime.combine(today - timedelta(days=1), datetime.min.time(), HALL_TZ) + timedelta(
        hours=12
    )


@asynccontextmanager
async def banks() -> AsyncIterator[Banks]:
    """Both simulators with their clocks at yesterday noon, and channels on them."""
    private, public = new_key_pair()
    at = yesterday_noon()
    async with IcbcGatewaySim(apps={APP: public}) as icbc_sim, CcbGatewaySim() as ccb_sim:
        icbc_sim.book.clock = ccb_sim.book.clock = lambda: at
        channels: dict[ChannelName, PaymentChannel] = {
            "icbc": IcbcChannel(
                icbc_sim.url, APP, icbc_sim.mer_id, private, icbc_sim.gateway_public_pem
            ),
            "ccb": CcbChannel(
                ccb_sim.url,
                "",
                (ccb_sim.merchant_id, ccb_sim.pos_id, ccb_sim.branch_id),
                ccb_sim.public_key_hex,
                (ccb_sim.user_id, ccb_sim.password),
            ),
        }
        try:
            yield Banks(icbc_sim, ccb_sim, channels, BookLedger(), at.date(), private)
        finally:
            for channel in channels.values():
                await channel.aclose()


async def pay(banks: Banks, channel: ChannelName, no: str, fen: int, record: bool = True) -> None:
    """A citizen pays ``no`` through the simulator; our ledger records it unless told not to."""
    order = ChannelOrder(no, fen, "水费", "http://127.0.0.1:9/api/v1/pay/notify/x", 600)
    pre = await banks.channels[channel].precreate(order)
    await phone(pre.qr_content, "confirm")
    status = await banks.channels[channel].query(no)
    assert status.state == "paid"
    if record:
        at = status.paid_at or yesterday_noon()
        banks.ledger.add(
            channel, banks.day, LedgerLine(f"o-{no}", no, status.trade_no, "pay", fen, at)
        )


async def refund(banks: Banks, channel: ChannelName, no: str, refund_no: str, fen: int) -> None:
    done = await banks.channels[channel].refund(no, refund_no, fen, "test")
    banks.ledger.add(
        channel,
        banks.day,
        LedgerLine(f"o-{no}", no, "", "refund", fen, done.refunded_at, refund_no),
    )
