"""The queue's tables (migration ``0014``): tickets, the per-queue-per-day number counter and
the per-site version of the live calling state.

``hall_tickets`` holds every ticket of every day (a transferred ticket ends and a new row,
linked both ways, continues it). Counters are rows bumped with an upsert in the transaction
that uses them, so two kiosks never print the same number and a live body's version survives a
restart and only grows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow


class HallTicket(Base):
    __tablename__ = "hall_tickets"
    __table_args__ = (
        Index("ix_hall_tickets_waiting", "site_id", "state", "queue_code", "issued_at"),
        Index("ix_hall_tickets_window", "site_id", "window_no", "state"),
        Index("ix_hall_tickets_day", "site_id", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    queue_code: Mapped[str] = mapped_column(String(32))
    service_code: Mapped[str] = mapped_column(String(32))
    #: ``A012``; kept by a transfer
    ticket_no: Mapped[str] = mapped_column(String(8))
    #: the hall's local day it was first issued (``YYYY-MM-DD``), for numbering and the monitor
    day: Mapped[str] = mapped_column(String(10))
    #: ``protocols.hall.TicketState``
    state: Mapped[str] = mapped_column(String(16))
    #: ``cloud.hall.backend.TicketSource``
    source: Mapped[str] = mapped_column(String(16))
    #: an appointment checked in within its slot (``fleet.queue`` priority rule)
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    appointment_id: Mapped[str] = mapped_column(String(64), default="")
    #: FIFO order: the first issue time, kept by a transfer
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    called_at: Mapped[datetime | None] = mapped_column()
    served_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    #: the window it is called to / served at; for a waiting ticket transferred to a window,
    #: that window (``for_window``)
    window_no: Mapped[str] = mapped_column(String(8), default="")
    for_window: Mapped[str] = mapped_column(String(8), default="")
    staff_no: Mapped[str] = mapped_column(String(16), default="")
    recalls: Mapped[int] = mapped_column(Integer, default=0)
    case_no: Mapped[str] = mapped_column(String(64), default="")
    transferred_from: Mapped[int | None] = mapped_column(Integer)
    transferred_to: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HallTicketCounter(Base):
    """The last number given in a queue on a day."""

    __tablename__ = "hall_ticket_counters"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    queue_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class HallLiveSeq(Base):
    """The version of a site's last live body (``protocols.hall.LiveBody.version``)."""

    __tablename__ = "hall_live_seq"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
