"""The call centre's tables (migration ``0030``): one row per remote-help call, one per
operator who has ever gone on duty.

A call row names the kiosk and the operator, never the citizen: what the citizen showed on
screen stays on the kiosk (``screen`` is only the name of the screen the call came from).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow

SITE_PATH = String(200).with_variant(String(200, collation="C"), "postgresql")


class HelpCallRow(Base):
    """One remote-help call from a kiosk (``fleet.help_calls`` decides its states)."""

    __tablename__ = "help_calls"
    __table_args__ = (
        UniqueConstraint("device_id", "request_id", name="uq_help_calls_request"),
        Index("ix_help_calls_state", "state"),
        Index("ix_help_calls_site_created", "site_path", "created_at"),
        Index("ix_help_calls_created", "created_at"),
    )

    #: ``hc-`` + 24 hex (``cloud.help.ref.CALL_ID_PATTERN``)
    call_id: Mapped[str] = mapped_column(String(27), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    #: the kiosk's id for one press: a retry of the same request is the same call
    request_id: Mapped[str] = mapped_column(String(64))
    site_path: Mapped[str] = mapped_column(SITE_PATH)
    #: where the citizen pressed (``tile``) or the hardware call button (``button``)
    source: Mapped[str] = mapped_column(String(8))
    lang: Mapped[str] = mapped_column(String(8))
    #: the name of the kiosk screen the call came from (no content of it)
    screen: Mapped[str] = mapped_column(String(64), default="")
    #: waiting, ringing, active, ended, missed, cancelled
    state: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the operator whose console rings now (``Principal.actor``) and since when
    ringing_to: Mapped[str | None] = mapped_column(String(170))
    ringing_since: Mapped[datetime | None]
    #: operators rung for this call so far, in order
    rung: Mapped[list[Any]] = mapped_column(default=list)
    #: who accepted (``Principal.actor``: ``user:alice``) and their display name
    operator: Mapped[str | None] = mapped_column(String(170))
    operator_name: Mapped[str] = mapped_column(String(128), default="")
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    #: solved, referred, dropped (the operator's), or None
    outcome: Mapped[str | None] = mapped_column(String(12))
    #: the operator's note at the end (for the record; never shown to the citizen)
    note: Mapped[str] = mapped_column(String(500), default="")
    #: why it ended, missed or was cancelled, in English
    ended_reason: Mapped[str] = mapped_column(String(200), default="")
    #: whether this call is recorded (``help_recording`` when it was made)
    recording: Mapped[bool] = mapped_column(Boolean, default=False)
    #: bumped by every change: a change is written only over the version it was decided on,
    #: so two operators accepting at once cannot both win (on SQLite and PostgreSQL alike)
    version: Mapped[int] = mapped_column(Integer, default=0)


class HelpDutyRow(Base):
    """An operator's duty: on or off, since when, and when they were last free (ringing
    order: longest idle first)."""

    __tablename__ = "help_duty"

    #: ``Principal.actor`` (``user:alice``, ``token:desk``)
    operator: Mapped[str] = mapped_column(String(170), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    #: the operator's site scope when they went on duty (which calls ring for them)
    scope: Mapped[str] = mapped_column(String(200))
    on_duty: Mapped[bool] = mapped_column(Boolean)
    since: Mapped[datetime] = mapped_column(default=utcnow)
    free_since: Mapped[datetime] = mapped_column(default=utcnow)
