"""The record of notifications: one row per (notice, channel), which is also the work queue.

``notify`` inserts rows ``pending``; a worker claims due rows with a lease (on PostgreSQL
``FOR UPDATE SKIP LOCKED``, so two cloud instances never claim the same row), delivers, and
marks each ``delivered``, back to ``pending`` with a later ``next_at``, or ``dead`` with the
last error. A row whose lease ran out (its instance died mid-send) is due again. Created by
migration ``0010``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, BigId, utcnow


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its first or next attempt (possibly leased right now)
    DELIVERED = "delivered"
    DEAD = "dead"  # no more attempts: permanent refusal or attempts exhausted


class NotifyDelivery(Base):
    __tablename__ = "notify_deliveries"
    __table_args__ = (
        # the same notice handed over twice (an alert engine restarted) is one delivery
        UniqueConstraint("notice_key", "channel", name="uq_notify_key_channel"),
        Index("ix_notify_state_next", "state", "next_at"),
        Index("ix_notify_alert", "alert_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    notice_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    alert_id: Mapped[int] = mapped_column(Integer)
    rule_name: Mapped[str] = mapped_column(String(128))
    severity: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    site: Mapped[str] = mapped_column(String(200), index=True)
    summary: Mapped[str] = mapped_column(String(500))
    #: the whole notice as JSON (``cloud.notify.payload``), what the channel sends
    notice: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: who holds the row while sending, and until when (a dead instance's lease runs out)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
