"""Alert tables (migration ``0009``): rules, alerts, each alert's history, silences.

``alerts.open_key`` is ``<rule id>:<subject>`` while the alert is open (pending or firing)
and NULL once it is resolved or cleared; its unique index is what keeps two evaluators (two
cloud instances on one database) from opening the same alert twice — NULLs never collide.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, BigId, utcnow


class AlertRule(Base):
    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    #: presence | peripheral | metric | job_failure (``fleet.alert_rules.RuleKind``)
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    severity: Mapped[str] = mapped_column(String(16))
    for_s: Mapped[float] = mapped_column(Float, default=0.0)
    repeat_s: Mapped[float] = mapped_column(Float, default=0.0)
    #: the site subtree watched ("" = every site)
    site: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str | None] = mapped_column(String(32))
    device_id: Mapped[str | None] = mapped_column(String(64))
    channels: Mapped[list[Any]] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(160), default="")


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_state_started", "state", "started_at"),
        Index("ix_alerts_rule_subject", "rule_id", "subject"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(200))
    #: ``<rule id>:<subject>`` while open, else NULL (unique: one open alert per pair)
    open_key: Mapped[str | None] = mapped_column(String(220), unique=True)
    #: pending | firing | resolved | cleared (``fleet.alerts.AlertState``)
    state: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    site: Mapped[str] = mapped_column(String(200), index=True)
    device_id: Mapped[str | None] = mapped_column(String(64), index=True)
    summary: Mapped[str] = mapped_column(String(1024), default="")
    value: Mapped[float | None] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    fired_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    acked_at: Mapped[datetime | None]
    acked_by: Mapped[str] = mapped_column(String(160), default="")
    ack_note: Mapped[str] = mapped_column(String(500), default="")
    notices: Mapped[int] = mapped_column(Integer, default=0)
    last_notice_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertEvent(Base):
    """One transition or notice of an alert: the history operators read."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: pending | firing | resolved | cleared | acknowledged | notified:<kind>
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(160), default="evaluator")
    message: Mapped[str] = mapped_column(String(1024), default="")


class Silence(Base):
    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True
    )
    subject: Mapped[str | None] = mapped_column(String(200))
    #: silences only alerts inside this subtree (its creator's scope or narrower)
    site: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(index=True)
    created_by: Mapped[str] = mapped_column(String(160))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expired_by: Mapped[str] = mapped_column(String(160), default="")
