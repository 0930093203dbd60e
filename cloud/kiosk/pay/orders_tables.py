"""The payment orders' tables (migration ``0026``): orders, the notifications received, and
refunds. Amounts in fen. An order keeps the utility account it pays (the company's write-back
needs it); screens, paper and the console show it masked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow


class PayOrder(Base):
    """One payment order made at a kiosk for one bill through one channel."""

    __tablename__ = "pay_orders"
    __table_args__ = (
        UniqueConstraint("device_id", "request_id", name="uq_pay_orders_request"),
        Index("ix_pay_orders_state_expires", "state", "expires_at"),
        Index("ix_pay_orders_channel_paid", "channel", "paid_at"),
        Index("ix_pay_orders_created", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: our order number at the channel (商户订单号): digits only, every gateway takes it
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    device_id: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(String(200))
    #: the kiosk's own id for this attempt: a retry with it is the same order
    request_id: Mapped[str] = mapped_column(String(64))
    utility: Mapped[str] = mapped_column(String(16))
    account: Mapped[str] = mapped_column(String(32))
    holder_masked: Mapped[str] = mapped_column(String(64))
    company: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    bill_no: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    #: ``waiting`` (QR shown), ``paid``, ``closed`` (timed out, cancelled, or never opened),
    #: ``refunded`` (all of it)
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    #: why it closed (``timeout``, ``cancelled``, ``precreate_failed``) or what is wrong with a
    #: paid one (``amount_mismatch``, ``paid_after_close``); "" when nothing is
    flag: Mapped[str] = mapped_column(String(32), default="")
    qr_content: Mapped[str] = mapped_column(String(512), default="")
    trade_no: Mapped[str] = mapped_column(String(64), default="")
    paid_amount_fen: Mapped[int] = mapped_column(Integer, default=0)
    refunded_fen: Mapped[int] = mapped_column(Integer, default=0)
    #: the company was told (``pending`` until it is, ``done``, ``failed`` after it refused)
    writeback: Mapped[str] = mapped_column(String(16), default="")
    receipt_prints: Mapped[int] = mapped_column(Integer, default=0)
    receipt_job_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    paid_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()


class PayNotification(Base):
    """Every notification a gateway posted, and what became of it (never its body)."""

    __tablename__ = "pay_notifications"
    __table_args__ = (Index("ix_pay_notifications_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    channel: Mapped[str] = mapped_column(String(16))
    notify_id: Mapped[str] = mapped_column(String(128), default="")
    out_trade_no: Mapped[str] = mapped_column(String(64), default="")
    #: ``applied``, ``repeat`` (already applied), ``unknown_order``, ``forged``,
    #: ``amount_mismatch``, ``late`` (for a closed order), ``ignored`` (not a payment state)
    outcome: Mapped[str] = mapped_column(String(24))
    source_ip: Mapped[str] = mapped_column(String(64), default="")


class PayRefund(Base):
    """One refund of (part of) a paid order, asked by an operator."""

    __tablename__ = "pay_refunds"
    __table_args__ = (Index("ix_pay_refunds_order", "order_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(32))
    out_refund_no: Mapped[str] = mapped_column(String(40), unique=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(120))
    #: ``done`` (the channel confirmed) or ``failed`` (it refused; nothing was refunded)
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    refunded_at: Mapped[datetime | None] = mapped_column()
