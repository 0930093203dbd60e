"""Payment orders for utility bills (docs/kiosk-payments.md).

An order is made at a kiosk for one bill through one channel: idempotent per the kiosk's
``request_id``; the bill is asked again and must still be the one the citizen saw (number and
amount); the channel opens a QR trade. It then waits for the citizen's phone: a verified
notification (or a query, when the notification is late) makes it ``paid`` exactly once, with
the amount checked again; after ``pay_order_timeout_s`` it is closed at the channel first, so
it can no longer be paid, then here. A paid order's bill is written back to its company.

Transitions are conditional updates (``WHERE state = <the state read>``), so two workers, a
notification and a poll racing each other, apply a payment once.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cloud.hall.ticket_token import HALL_TZ
from cloud.kiosk.pay.bills import UTILITY_NAMES, Bill, BillChanged, Utility
from cloud.kiosk.pay.channel import ChannelError, ChannelOrder, PaymentChannel, TradeStatus
from cloud.kiosk.pay.orders_apply import apply_status
from cloud.kiosk.pay.orders_errors import OrderState, RequestReused
from cloud.kiosk.pay.orders_store import OrderStore
from cloud.kiosk.pay.orders_tables import PayOrder
from protocols.idcard.text import mask_name

log = logging.getLogger(__name__)
#: a waiting order older than this is asked about at the channel when the kiosk polls
QUERY_AFTER_S = 15


@dataclass(frozen=True)
class OrderAsked:
    """What a kiosk asks to pay: the bill as the citizen saw it, and the channel chosen."""

    request_id: str
    utility: Utility
    account: str
    bill_no: str
    amount_fen: int
    channel: str


def mask_account(account: str) -> str:
    """An account number → ``****`` and its last four (what a bystander may read)."""
    return "****" + account[-4:]


def new_out_trade_no(now: datetime) -> str:
    """Digits only (every gateway takes them): hall time to the second + 8 random digits."""
    return now.astimezone(HALL_TZ).strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10**8):08d}"


class OrderService(OrderStore):
    """Orders and their state; :mod:`.orders_apply` applies what channels say."""

    async def bill(self, utility: Utility, account: str) -> Bill:
        return await self.bills.bill(utility, account)

    async def create(self, device_id: str, site: str, asked: OrderAsked) -> PayOrder:
        """The order for this request (the same one again on a retry), its QR opened."""
        existing = await self._by_request(device_id, asked.request_id)
        if existing is not None:
            return _same_request(existing, asked)
        channel = self.channel(asked.channel)
        bill = await self.bills.bill(asked.utility, asked.account)
        if bill.bill_no != asked.bill_no or bill.amount_fen != asked.amount_fen:
            raise BillChanged(bill)
        row = self._new_row(device_id, site, asked, bill)
        try:
            async with self.sessions.begin() as s:
                s.add(row)
        except IntegrityError:  # the same request raced itself: the first one stands
            again = await self._by_request(device_id, asked.request_id)
            if again is None:
                raise
            return _same_request(again, asked)
        return await self._open(row, channel)

    def _new_row(self, device_id: str, site: str, asked: OrderAsked, bill: Bill) -> PayOrder:
        now = self.clock()
        return PayOrder(
            id=secrets.token_hex(16),
            out_trade_no=new_out_trade_no(now),
            device_id=device_id,
            site=site,
            request_id=asked.request_id,
            utility=bill.utility,
            account=bill.account,
            holder_masked=mask_name(bill.holder),
            company=bill.company[:64],
            period=bill.period,
            bill_no=bill.bill_no,
            amount_fen=bill.amount_fen,
            channel=asked.channel,
            state="waiting",
            flag="",
            qr_content="",
            trade_no="",
            paid_amount_fen=0,
            refunded_fen=0,
            writeback="",
            receipt_prints=0,
            receipt_job_id="",
            created_at=now,
            expires_at=now + timedelta(seconds=self.timeout_s),
        )

    async def _open(self, row: PayOrder, channel: PaymentChannel) -> PayOrder:
        zh = UTILITY_NAMES[row.utility][0]  # type: ignore[index]
        order = ChannelOrder(
            out_trade_no=row.out_trade_no,
            amount_fen=row.amount_fen,
            subject=f"{row.company} {zh} {row.period}",
            notify_url=f"{self.notify_base_url}/api/v1/pay/notify/{channel.name}",
            timeout_s=self.timeout_s,
        )
        try:
            opened = await channel.precreate(order)
        except ChannelError:
            await self.set_if(
                row.id, "waiting", state="closed", flag="precreate_failed", closed_at=self.clock()
            )
            raise
        await self.set_if(
            row.id, "waiting", qr_content=opened.qr_content[:512], trade_no=opened.trade_no[:64]
        )
        return await self.require(row.id)

    async def _by_request(self, device_id: str, request_id: str) -> PayOrder | None:
        async with self.sessions() as s:
            found = await s.execute(
                select(PayOrder).where(
                    PayOrder.device_id == device_id, PayOrder.request_id == request_id
                )
            )
            return found.scalar_one_or_none()

    async def poll(self, order_id: str, device_id: str) -> PayOrder:
        """The order now; a waiting one past its time is closed, one whose notification is late
        is asked about at the channel (a channel that fails here is asked again next time)."""
        row = await self.require(order_id, device_id)
        if row.state != "waiting":
            return row
        now = self.clock()
        try:
            if now >= row.expires_at:
                await self.expire(row, "timeout")
            elif now - row.created_at >= timedelta(seconds=QUERY_AFTER_S):
                status = await self.channel(row.channel).query(row.out_trade_no)
                await apply_status(self, row.channel, status, "query")
        except ChannelError as err:  # the order stays as it is; the sweep tries again
            log.warning("order %s: the channel did not answer: %s", row.id, err)
        return await self.require(order_id)

    async def cancel(self, order_id: str, device_id: str) -> PayOrder:
        """The citizen cancelled: closed at the channel, then here. A paid one stays paid."""
        row = await self.require(order_id, device_id)
        if row.state == "closed":
            return row
        if row.state != "waiting":
            raise OrderState(
                f"order {order_id} is {row.state}",
                "该订单已支付，无法取消。",
                "This order is paid and cannot be cancelled.",
            )
        await self.expire(row, "cancelled")
        return await self.require(order_id)

    async def expire(self, row: PayOrder, why: str) -> None:
        """Close at the channel first; if it says the trade was paid meanwhile, apply that."""
        channel = self.channel(row.channel)
        try:
            await channel.close(row.out_trade_no)
        except ChannelError as err:
            log.warning("order %s: close refused (%s): asking the channel", row.id, err)
            status = await channel.query(row.out_trade_no)
            if status.state == "paid":
                await apply_status(self, row.channel, status, "query")
                return
            if status.state != "closed":
                raise
        closed = TradeStatus(out_trade_no=row.out_trade_no, state="closed")
        await apply_status(self, row.channel, closed, why)


def _same_request(row: PayOrder, asked: OrderAsked) -> PayOrder:
    same = (row.utility, row.account, row.bill_no, row.amount_fen, row.channel) == (
        asked.utility,
        asked.account,
        asked.bill_no,
        asked.amount_fen,
        asked.channel,
    )
    if not same:
        raise RequestReused()
    return row
