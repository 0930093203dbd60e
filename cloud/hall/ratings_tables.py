"""The ratings' own tables (migration ``0016``): each rating asked of a window's pad, and each
follow-up a 差评 opened. The ratings themselves are ``hall_ratings`` (``cloud.db.hall``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow


class HallRatingRequest(Base):
    """One ``request_rating`` call sent to a window's pad for one ticket.

    ``ref`` is the case number the pad shows and echoes in its answer; it names the ticket
    (``A012#57``: ticket number and id), so an answer that arrives after the window called the
    next ticket is still recorded against the ticket it was asked for."""

    __tablename__ = "hall_rating_requests"
    __table_args__ = (Index("ix_hall_rating_requests_state", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    ticket_id: Mapped[int] = mapped_column(Integer, unique=True)
    ticket_no: Mapped[str] = mapped_column(String(8))
    case_no: Mapped[str] = mapped_column(String(64), default="")
    queue_code: Mapped[str] = mapped_column(String(32), default="")
    window_no: Mapped[str] = mapped_column(String(8))
    staff_no: Mapped[str] = mapped_column(String(16), default="")
    device_id: Mapped[str] = mapped_column(String(64))
    peripheral: Mapped[str] = mapped_column(String(64))
    call_id: Mapped[str] = mapped_column(String(64), default="")
    #: ``asked`` (waiting for the citizen), ``answered`` (a rating or a time-out came),
    #: ``abandoned`` (the call failed: the pad went away), ``unsent`` (the device was offline)
    state: Mapped[str] = mapped_column(String(16), default="asked")
    error: Mapped[str] = mapped_column(String(500), default="")
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)


class HallFollowUp(Base):
    """A 差评's follow-up (整改): due 15 working days after the rating; closed with a note."""

    __tablename__ = "hall_follow_ups"
    __table_args__ = (Index("ix_hall_follow_ups_state_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("hall_ratings.id"), unique=True)
    level: Mapped[int] = mapped_column(Integer)
    window_no: Mapped[str] = mapped_column(String(8), default="")
    staff_no: Mapped[str] = mapped_column(String(16), default="")
    ticket_no: Mapped[str] = mapped_column(String(8), default="")
    #: ``open``, ``overdue`` (past ``due_at``, still open), ``closed``
    state: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column()
    assignee: Mapped[str] = mapped_column(String(64), default="")
    #: reminder stages already sent (``day10``, ``day13``, ``day15``, ``overdue``)
    reminders: Mapped[list[Any]] = mapped_column(default=list)
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by: Mapped[str] = mapped_column(String(128), default="")
    note: Mapped[str] = mapped_column(String(2000), default="")
