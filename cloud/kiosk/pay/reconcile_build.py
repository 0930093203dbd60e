"""Builds reconciliation: its own channel clients (from ``CHANNEL_BUILDERS``), the order
service's ledger when there is one, and the daily worker."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.kiosk.pay.channel import ChannelName, OrderLedger, PaymentChannel
from cloud.kiosk.pay.channels import CHANNEL_BUILDERS
from cloud.kiosk.pay.reconcile import ReconcileService
from cloud.settings import Settings

Work = Callable[[], Coroutine[Any, Any, None]]


def ledger_of(kiosk: object) -> OrderLedger | None:
    """The order service's ledger: ``kiosk.payments.admin`` (paycore's ``OrderAdmin``), or
    ``kiosk.orders``, whichever implements ``ledger``; None while there is none."""
    payments = getattr(kiosk, "payments", None)
    for candidate in (getattr(payments, "admin", None), getattr(kiosk, "orders", None)):
        if callable(getattr(candidate, "ledger", None)):
            return cast(OrderLedger, candidate)
    return None


def build_reconcile(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    kiosk: object,
    workers: list[tuple[str, Work]],
    closers: list[Work],
) -> ReconcileService:
    """The service over every configured channel, reading ``kiosk``'s order ledger."""
    channels: dict[ChannelName, PaymentChannel] = {}
    for name, build in CHANNEL_BUILDERS.items():
        channel = build(settings)
        if channel is not None:
            channels[name] = channel
    service = ReconcileService(
        sessions, channels, lambda: ledger_of(kiosk), settings.reconcile_hour
    )
    workers.append(("pay-reconcile", service.daily))
    closers.append(service.aclose)
    return service
