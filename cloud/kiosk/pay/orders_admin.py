"""What operators and reconciliation do with orders: refunds, the ledger (``OrderLedger``),
the console's list, and the sweep worker (timeouts closed at the channel, late notifications
asked about, failed bill write-backs tried again)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from cloud.hall.ticket_token import HALL_TZ
from cloud.kiosk.pay.channel import ChannelError, ChannelName, LedgerLine
from cloud.kiosk.pay.orders import QUERY_AFTER_S, OrderService
from cloud.kiosk.pay.orders_apply import apply_status, write_back
from cloud.kiosk.pay.orders_errors import OrderState, RefundTooLarge
from cloud.kiosk.pay.orders_tables import PayNotification, PayOrder, PayRefund

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrderFilter:
    state: str = ""
    channel: str = ""
    utility: str = ""
    site: str = ""  # a site path: it and its subtree
    limit: int = 50
    offset: int = 0


class OrderAdmin:
    """Implements :class:`cloud.kiosk.pay.channel.OrderLedger`."""

    def __init__(self, orders: OrderService) -> None:
        self.orders = orders

    async def refund(self, order_id: str, amount_fen: int, reason: str, actor: str) -> PayRefund:
        """Refund (part of) a paid order at its channel; the refund's number is the order's
        with ``R`` and a count, so the channel refunds it once."""
        row = await self.orders.require(order_id)
        if row.state != "paid":
            raise OrderState(
                f"order {order_id} is {row.state}",
                "只有已支付的订单可以退款。",
                "Only a paid order can be refunded.",
            )
        left = row.paid_amount_fen - row.refunded_fen
        if amount_fen > left:
            raise RefundTooLarge(left)
        async with self.orders.sessions() as s:
            count = await s.scalar(
                select(func.count()).select_from(PayRefund).where(PayRefund.order_id == row.id)
            )
        refund = PayRefund(
            id=secrets.token_hex(16),
            order_id=row.id,
            out_refund_no=f"{row.out_trade_no}R{(count or 0) + 1}",
            amount_fen=amount_fen,
            reason=reason,
            actor=actor[:120],
            state="asking",
            at=self.orders.clock(),
        )
        try:
            done = await self.orders.channel(row.channel).refund(
                row.out_trade_no, refund.out_refund_no, amount_fen, reason
            )
        except ChannelError:
            refund.state = "failed"
            await self._keep(refund)
            raise
        refund.state, refund.refunded_at = "done", done.refunded_at
        await self._keep(refund)
        refunded = row.refunded_fen + amount_fen
        state = "refunded" if refunded >= row.paid_amount_fen else "paid"
        await self.orders.set_if(row.id, "paid", refunded_fen=refunded, state=state)
        return refund

    async def _keep(self, refund: PayRefund) -> None:
        async with self.orders.sessions.begin() as s:
            s.add(refund)

    async def refunds(self, order_id: str) -> list[PayRefund]:
        async with self.orders.sessions() as s:
            rows = await s.scalars(
                select(PayRefund).where(PayRefund.order_id == order_id).order_by(PayRefund.at)
            )
            return list(rows)

    async def notifications(self, out_trade_no: str) -> list[PayNotification]:
        async with self.orders.sessions() as s:
            rows = await s.scalars(
                select(PayNotification)
                .where(PayNotification.out_trade_no == out_trade_no)
                .order_by(PayNotification.id)
            )
            return list(rows)

    async def page(self, f: OrderFilter) -> tuple[list[PayOrder], int]:
        q = select(PayOrder)
        for column, value in (
            (PayOrder.state, f.state),
            (PayOrder.channel, f.channel),
            (PayOrder.utility, f.utility),
        ):
            if value:
                q = q.where(column == value)
        if f.site:
            q = q.where((PayOrder.site == f.site) | PayOrder.site.startswith(f.site + "/"))
        async with self.orders.sessions() as s:
            total = await s.scalar(select(func.count()).select_from(q.subquery()))
            rows = await s.scalars(
                q.order_by(PayOrder.created_at.desc()).limit(f.limit).offset(f.offset)
            )
            return list(rows), int(total or 0)

    async def ledger(self, channel: ChannelName, day: date) -> list[LedgerLine]:
        """Payments and refunds on ``channel`` during ``day`` (hall time), as our orders say."""
        start = datetime.combine(day, time(), HALL_TZ)
        end = start + timedelta(days=1)
        async with self.orders.sessions() as s:
            paid = await s.scalars(
                select(PayOrder).where(
                    PayOrder.channel == channel, PayOrder.paid_at >= start, PayOrder.paid_at < end
                )
            )
            lines = [
                LedgerLine(o.id, o.out_trade_no, o.trade_no, "pay", o.paid_amount_fen, o.paid_at)
                for o in paid
                if o.paid_at is not None
            ]
            refunds = await s.execute(
                select(PayRefund, PayOrder)
                .join(PayOrder, PayOrder.id == PayRefund.order_id)
                .where(PayOrder.channel == channel, PayRefund.state == "done")
                .where(PayRefund.refunded_at >= start, PayRefund.refunded_at < end)
            )
            for r, o in refunds.all():
                assert r.refunded_at is not None
                lines.append(
                    LedgerLine(
                        o.id,
                        o.out_trade_no,
                        o.trade_no,
                        "refund",
                        r.amount_fen,
                        r.refunded_at,
                        r.out_refund_no,
                    )
                )
        return sorted(lines, key=lambda line: line.at)

    async def sweep_once(self) -> None:
        """Close what timed out, ask about what waits too long, retry write-backs."""
        now = self.orders.clock()
        async with self.orders.sessions() as s:
            waiting = list(await s.scalars(select(PayOrder).where(PayOrder.state == "waiting")))
            pending = list(
                await s.scalars(select(PayOrder.id).where(PayOrder.writeback == "pending"))
            )
        for row in waiting:
            try:
                if now >= row.expires_at:
                    await self.orders.expire(row, "timeout")
                elif now - row.created_at >= timedelta(seconds=QUERY_AFTER_S):
                    status = await self.orders.channel(row.channel).query(row.out_trade_no)
                    await apply_status(self.orders, row.channel, status, "query")
            except ChannelError as err:
                log.warning("sweep: order %s: %s", row.id, err)
        for order_id in pending:
            await write_back(self.orders, order_id)

    async def sweep_forever(self, interval_s: float) -> None:
        while True:
            try:
                await self.sweep_once()
            except Exception:  # a bug must not stop the sweeps: logged, tried again
                log.exception("payment sweep failed")
            await asyncio.sleep(interval_s)
