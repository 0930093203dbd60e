"""Reconciliation's stored results (migration ``0027``): one row per run (a channel, a day,
its totals and outcome) and one row per difference found. Matched lines are only counted:
the statement and the orders themselves are the record of those."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow


class ReconcileRun(Base):
    """One comparison of our ledger with a channel's statement for one day."""

    __tablename__ = "pay_reconciliations"
    __table_args__ = (Index("ix_pay_reconciliations_channel_day", "channel", "day"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    ran_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: ``daily`` (the worker) or ``manual`` (someone asked in the console)
    trigger: Mapped[str] = mapped_column(String(8))
    #: ``clean``, ``mismatch`` or ``failed`` (the statement or the ledger could not be read)
    state: Mapped[str] = mapped_column(String(8))
    error: Mapped[str] = mapped_column(String(300), default="")
    ledger_lines: Mapped[int] = mapped_column(Integer, default=0)
    ledger_net_fen: Mapped[int] = mapped_column(Integer, default=0)
    statement_lines: Mapped[int] = mapped_column(Integer, default=0)
    statement_net_fen: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    mismatched: Mapped[int] = mapped_column(Integer, default=0)


class ReconcileItem(Base):
    """One difference: a line on one side only, or on both with different amounts."""

    __tablename__ = "pay_reconciliation_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("pay_reconciliations.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(24))
    out_trade_no: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    out_refund_no: Mapped[str] = mapped_column(String(64), default="")
    ledger_fen: Mapped[int | None] = mapped_column(Integer)
    statement_fen: Mapped[int | None] = mapped_column(Integer)
    order_id: Mapped[str] = mapped_column(String(64), default="")
    trade_no: Mapped[str] = mapped_column(String(64), default="")
