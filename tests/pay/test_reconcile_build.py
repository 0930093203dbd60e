"""Reconciliation finds the order service's ledger where the order service puts it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cloud.kiosk.pay.channel import ChannelName, LedgerLine
from cloud.kiosk.pay.reconcile_build import ledger_of


class Admin:
    async def ledger(self, channel: ChannelName, day: date) -> list[LedgerLine]:
        return []


@dataclass
class Payments:
    admin: object


@dataclass
class Parts:
    payments: object = None


def test_the_ledger_is_the_payments_admin_when_there_is_one() -> None:
    admin = Admin()
    assert ledger_of(Parts(Payments(admin))) is admin
    assert ledger_of(Parts()) is None
    assert ledger_of(Parts(Payments(object()))) is None
