"""Daily reconciliation (对账): each configured channel's statement file for a day against our
orders' ledger for it (``fleet.reconcile`` decides; this reads both sides and stores the run
with every difference). The daily worker reconciles yesterday once the hall's clock passes
``reconcile_hour``; the console asks for any finished day (docs/pay-banks.md).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.models import utcnow
from cloud.errors import Conflict
from cloud.hall.ticket_token import HALL_TZ
from cloud.kiosk.errors import KioskError
from cloud.kiosk.pay.channel import (
    ChannelError,
    ChannelName,
    LedgerLine,
    OrderLedger,
    PaymentChannel,
    StatementLine,
)
from cloud.kiosk.pay.reconcile_tables import ReconcileItem, ReconcileRun
from fleet.reconcile import Entry, Reconciliation, reconcile

log = logging.getLogger(__name__)
#: how often the daily worker looks whether yesterday is due
WORKER_PERIOD_S = 600.0


class DayNotFinished(KioskError):
    """A state refusal: the day's statement is not final until the day is over."""

    status_code = 409
    code = "day_not_finished"

    def __init__(self, day: date) -> None:
        super().__init__(
            f"{day} is not over in the hall's time zone: its statement is not final",
            "只能对已结束的日期对账。",
            "Only a finished day can be reconciled.",
        )


@dataclass(frozen=True)
class RunResult:
    run: ReconcileRun
    items: list[ReconcileItem]


def ledger_entry(line: LedgerLine) -> Entry:
    return Entry(
        line.out_trade_no,
        line.kind,
        line.amount_fen,
        line.out_refund_no,
        line.trade_no,
        line.order_id,
    )


def statement_entry(line: StatementLine) -> Entry:
    return Entry(line.out_trade_no, line.kind, line.amount_fen, line.out_refund_no, line.trade_no)


class ReconcileService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        channels: Mapping[ChannelName, PaymentChannel],
        ledger: Callable[[], OrderLedger | None],
        reconcile_hour: int = 9,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self.channels = dict(channels)
        #: where the ledger comes from (the order service, once it runs)
        self.ledger_source = ledger
        self._hour = reconcile_hour
        self._clock = clock
        self._lock = asyncio.Lock()

    def _channel(self, name: str) -> PaymentChannel:
        channel = next((c for n, c in self.channels.items() if n == name), None)
        if channel is None:
            raise Conflict(f"the {name} channel is not configured: nothing to reconcile")
        return channel

    def today(self) -> date:
        return self._clock().astimezone(HALL_TZ).date()

    async def run(self, name: str, day: date, trigger: str = "manual") -> RunResult:
        """Compare and store; a statement or ledger that cannot be read is a ``failed`` run."""
        channel = self._channel(name)
        if day >= self.today():
            raise DayNotFinished(day)
        ledger = self.ledger_source()
        if ledger is None:
            raise Conflict("the order service is not running: there is no ledger to compare")
        row = ReconcileRun(
            id=secrets.token_hex(16), channel=name, day=day, ran_at=self._clock(), trigger=trigger
        )
        items: list[ReconcileItem] = []
        try:
            statement = await channel.statement(day)
            ours = await ledger.ledger(channel.name, day)
        except ChannelError as exc:
            row.state, row.error = "failed", str(exc)[:300]
            log.warning("reconciliation of %s for %s failed: %s", name, day, exc)
        else:
            found = reconcile(
                [ledger_entry(x) for x in ours], [statement_entry(x) for x in statement]
            )
            items = self._fill(row, found)
            log.info("reconciled %s for %s: %s", name, day, found.counts)
        async with self._lock, self._sessions() as s, s.begin():
            s.add(row)
            await s.flush()
            for item in items:
                item.run_id = row.id
                s.add(item)
        return RunResult(row, items)

    @staticmethod
    def _fill(row: ReconcileRun, found: Reconciliation) -> list[ReconcileItem]:
        row.state = "clean" if found.clean else "mismatch"
        row.error = ""
        row.ledger_lines, row.ledger_net_fen = found.ledger.lines, found.ledger.net_fen
        row.statement_lines, row.statement_net_fen = found.statement.lines, found.statement.net_fen
        row.matched = found.counts.get("matched", 0)
        row.mismatched = len(found.mismatches)
        return [
            ReconcileItem(
                outcome=f.outcome,
                out_trade_no=f.out_trade_no[:64],
                kind=f.kind,
                out_refund_no=f.out_refund_no[:64],
                ledger_fen=f.ledger_fen,
                statement_fen=f.statement_fen,
                order_id=f.order_id[:64],
                trade_no=f.trade_no[:64],
            )
            for f in found.mismatches
        ]

    async def runs(
        self, channel: str | None, start: date | None, end: date | None, limit: int = 100
    ) -> list[ReconcileRun]:
        """Runs newest first, of one channel or all, for days in ``[start, end]``."""
        query = select(ReconcileRun).order_by(ReconcileRun.ran_at.desc()).limit(limit)
        if channel:
            query = query.where(ReconcileRun.channel == channel)
        if start:
            query = query.where(ReconcileRun.day >= start)
        if end:
            query = query.where(ReconcileRun.day <= end)
        async with self._sessions() as s:
            return list((await s.scalars(query)).all())

    async def detail(self, run_id: str) -> RunResult | None:
        async with self._sessions() as s:
            row = await s.get(ReconcileRun, run_id)
            if row is None:
                return None
            items = await s.scalars(
                select(ReconcileItem)
                .where(ReconcileItem.run_id == run_id)
                .order_by(ReconcileItem.id)
            )
            return RunResult(row, list(items.all()))

    async def catch_up(self) -> list[RunResult]:
        """Reconcile yesterday for every channel without a daily run of it, once the hall's
        clock is past ``reconcile_hour`` (a cloud down at that hour catches up at start)."""
        now = self._clock().astimezone(HALL_TZ)
        if now < datetime.combine(now.date(), time(self._hour), HALL_TZ):
            return []
        yesterday = now.date() - timedelta(days=1)
        done = []
        for name in sorted(self.channels):
            async with self._sessions() as s:
                already = await s.scalar(
                    select(ReconcileRun.id).where(
                        ReconcileRun.channel == name,
                        ReconcileRun.day == yesterday,
                        ReconcileRun.trigger == "daily",
                        ReconcileRun.state != "failed",
                    )
                )
            if already is None and self.ledger_source() is not None:
                done.append(await self.run(name, yesterday, "daily"))
        return done

    async def daily(self) -> None:
        """The worker: :meth:`catch_up` every ``WORKER_PERIOD_S`` (a failed run is retried)."""
        while True:
            try:
                await self.catch_up()
            except Exception:  # a worker never dies of one bad day; the log says why
                log.exception("daily reconciliation")
            await asyncio.sleep(WORKER_PERIOD_S)

    async def aclose(self) -> None:
        for channel in self.channels.values():
            await channel.aclose()
