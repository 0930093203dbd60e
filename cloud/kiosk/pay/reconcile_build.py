"""Builds reconciliation: its own channel clients (from ``CHANNEL_BUILDERS``), the order
service's ledger when there is one, and the daily worker."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.kiosk.pay.channel import ChannelName, OrderLedger, PaymentChannel
from cloud.kiosk.pay.channels import CHANNEL_BUILDERS
from cloud.kiosk.pay.reconcile import ReconcileService
from cloud.settings import Settings

if TYPE_CHECKING:
    from cloud.kiosk.parts import Kiosk


def ledger_of(kiosk: Kiosk) -> OrderLedger | None:
    """The order service (``kiosk.orders``, built by paycore) when it implements ``ledger``."""
    orders = getattr(kiosk, "orders", None)
    return cast(OrderLedger, orders) if callable(getattr(orders, "ledger", None)) else None


def build_reconcile(
    kiosk: Kiosk, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> ReconcileService:
    channels: dict[ChannelName, PaymentChannel] = {}
    for name, build in CHANNEL_BUILDERS.items():
        channel = build(settings)
        if channel is not None:
            channels[name] = channel
    service = ReconcileService(
        sessions, channels, lambda: ledger_of(kiosk), settings.reconcile_hour
    )
    kiosk.workers.append(("pay-reconcile", service.daily))
    kiosk.closers.append(service.aclose)
    return service
