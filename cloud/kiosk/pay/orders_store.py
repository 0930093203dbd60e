"""Where orders are kept and changed: the order service's base (:mod:`.orders`), and what
:mod:`.orders_apply` changes orders with. Transitions are conditional updates (``WHERE state =
<the state read>``), so two workers racing each other change an order once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.models import utcnow
from cloud.kiosk.pay.bills import UtilityBills
from cloud.kiosk.pay.channel import PaymentChannel
from cloud.kiosk.pay.orders_errors import ChannelNotOffered, OrderNotFound
from cloud.kiosk.pay.orders_tables import PayOrder


class OrderStore:
    """The orders' table, the bill adapter and the configured channels."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bills: UtilityBills,
        channels: Mapping[str, PaymentChannel],
        *,
        timeout_s: int,
        notify_base_url: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.bills = bills
        self.channels = dict(channels)
        self.timeout_s = timeout_s
        self.notify_base_url = notify_base_url.rstrip("/")
        self.clock = clock

    def channel(self, name: str) -> PaymentChannel:
        found = self.channels.get(name)
        if found is None:
            raise ChannelNotOffered(name)
        return found

    async def require(self, order_id: str, device_id: str | None = None) -> PayOrder:
        """The order (only the kiosk's own when ``device_id`` is given)."""
        async with self.sessions() as s:
            row = await s.get(PayOrder, order_id)
        if row is None or (device_id is not None and row.device_id != device_id):
            raise OrderNotFound(order_id)
        return row

    async def by_trade_no(self, out_trade_no: str) -> PayOrder | None:
        async with self.sessions() as s:
            found = await s.execute(select(PayOrder).where(PayOrder.out_trade_no == out_trade_no))
            return found.scalar_one_or_none()

    async def set_if(self, order_id: str, from_state: str, **values: object) -> bool:
        """Change the order only if it is still in ``from_state``; whether it was."""
        async with self.sessions.begin() as s:
            done = await s.execute(
                update(PayOrder)
                .where(PayOrder.id == order_id, PayOrder.state == from_state)
                .values(**values)
            )
        return bool(getattr(done, "rowcount", 0))
