"""Builds the payment services into the kiosk parts: the utilities' bill adapter, every channel
whose settings are filled (``CHANNEL_BUILDERS``), the orders and their sweep worker."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.kiosk.pay.bills_http import HttpUtilityBills
from cloud.kiosk.pay.channel import PaymentChannel
from cloud.kiosk.pay.channels import CHANNEL_BUILDERS
from cloud.kiosk.pay.orders import OrderService
from cloud.kiosk.pay.orders_admin import OrderAdmin
from cloud.settings import Settings


@dataclass
class Payments:
    orders: OrderService
    #: refunds, the console's list, the ledger reconciliation reads (``OrderLedger``)
    admin: OrderAdmin
    #: whether the utilities' bill API is configured (else 生活缴费 says it is not available)
    bills_configured: bool


class KioskParts(Protocol):
    """What of :class:`cloud.kiosk.parts.Kiosk` this needs (named here: ``parts`` imports this
    module's :class:`Payments`, and packages have no cycles)."""

    workers: list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]]
    closers: list[Callable[[], Coroutine[Any, Any, None]]]
    payments: Payments | None


def build_payments(
    kiosk: KioskParts, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """``kiosk.payments``; the channels are read from ``CHANNEL_BUILDERS`` now, so a test adds
    its stand-in there before it builds the app."""
    bills = HttpUtilityBills.of(settings)
    channels: dict[str, PaymentChannel] = {}
    for name, builder in CHANNEL_BUILDERS.items():
        channel = builder(settings)
        if channel is not None:
            channels[name] = channel
            kiosk.closers.append(channel.aclose)
    orders = OrderService(
        sessions,
        bills,
        channels,
        timeout_s=settings.pay_order_timeout_s,
        notify_base_url=settings.pay_notify_base_url or settings.base_url,
    )
    admin = OrderAdmin(orders)
    kiosk.payments = Payments(orders, admin, bills.configured)
    kiosk.closers.append(bills.close)
    interval = settings.pay_sweep_interval_s
    kiosk.workers.append(("payments-sweep", lambda: admin.sweep_forever(interval)))
