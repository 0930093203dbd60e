"""The hall's configuration: per site, services → queues → windows, and the staff who work
there. Created by migration ``0013``; the tickets, content versions and ratings built on it
have their own tables (``cloud/hall/``).

A window serves one or more queues in order of preference (``queue_codes``) and names the
devices it uses: the call button (device + button number), the rating pad (device +
peripheral id) and the window screen. Staff are per site, identified by their staff number
(工号); a photo is a blob (sha256), shown on the window screen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow


class HallQueue(Base):
    __tablename__ = "hall_queues"
    __table_args__ = (UniqueConstraint("site_id", "code", name="uq_hall_queue_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64), default="")
    #: printed before the number (``A`` → ``A012``); unique per site
    prefix: Mapped[str] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HallService(Base):
    """A service (事项) citizens choose at the kiosk; it is queued in one queue."""

    __tablename__ = "hall_services"
    __table_args__ = (UniqueConstraint("site_id", "code", name="uq_hall_service_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64), default="")
    queue_id: Mapped[int] = mapped_column(ForeignKey("hall_queues.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)


class HallWindow(Base):
    __tablename__ = "hall_windows"
    __table_args__ = (UniqueConstraint("site_id", "number", name="uq_hall_window_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    number: Mapped[str] = mapped_column(String(8))
    name_zh: Mapped[str] = mapped_column(String(64), default="")
    name_en: Mapped[str] = mapped_column(String(64), default="")
    #: the queues this window calls from, most preferred first
    queue_codes: Mapped[list[Any]] = mapped_column(default=list)
    #: ``protocols.hall.WindowStatus``
    status: Mapped[str] = mapped_column(String(16), default="closed")
    #: the staff signed in now ("" nobody)
    staff_no: Mapped[str] = mapped_column(String(16), default="")
    #: usual staff, in order (staff numbers), shown when nobody is signed in
    roster: Mapped[list[Any]] = mapped_column(default=list)
    call_device: Mapped[str] = mapped_column(String(64), default="")
    call_button: Mapped[int] = mapped_column(Integer, default=1)
    rating_device: Mapped[str] = mapped_column(String(64), default="")
    rating_peripheral: Mapped[str] = mapped_column(String(64), default="")
    screen_device: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HallStaff(Base):
    __tablename__ = "hall_staff"
    __table_args__ = (UniqueConstraint("site_id", "staff_no", name="uq_hall_staff_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    staff_no: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(32), default="")
    photo_sha256: Mapped[str] = mapped_column(String(64), default="")
    photo_media_type: Mapped[str] = mapped_column(String(32), default="")
    photo_size: Mapped[int] = mapped_column(Integer, default=0)
    #: the console login of this person, when they have one (signs in at the window PC)
    username: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(default=True)


class HallRating(Base):
    """One 好差评 rating (or a request nobody answered), tied to a ticket and, where known, a
    case; forwarded to the provincial platform by the forwarder, which owns ``fwd_*``.

    ``dedupe_key`` makes a redelivered rating (an MQTT event seen twice, a phone page posted
    twice) one row: ``evt:<message id>``, ``kiosk:<device>:<request id>``, ``phone:<token id>``.
    """

    __tablename__ = "hall_ratings"
    __table_args__ = (
        Index("ix_hall_ratings_site_rated", "site_id", "rated_at"),
        Index("ix_hall_ratings_fwd_due", "fwd_state", "fwd_next_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    #: ``pad`` (a window's rating pad), ``kiosk`` (after a self-service task), ``phone`` (QR)
    source: Mapped[str] = mapped_column(String(16))
    ticket_id: Mapped[int | None] = mapped_column(Integer, index=True)
    ticket_no: Mapped[str] = mapped_column(String(8), default="")
    case_no: Mapped[str] = mapped_column(String(64), default="")
    window_no: Mapped[str] = mapped_column(String(8), default="")
    staff_no: Mapped[str] = mapped_column(String(16), default="")
    service_code: Mapped[str] = mapped_column(String(32), default="")
    device_id: Mapped[str] = mapped_column(String(64), default="")
    #: 5 非常满意 .. 1 非常不满意; None when nobody rated (``outcome`` says why)
    level: Mapped[int | None] = mapped_column(Integer)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    comment: Mapped[str] = mapped_column(String(500), default="")
    #: ``rated``, ``timed_out`` (the pad gave up), ``abandoned`` (the pad went away mid-rating)
    outcome: Mapped[str] = mapped_column(String(16))
    asked_at: Mapped[datetime | None] = mapped_column()
    rated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: forwarding to the provincial platform: ``pending``, ``sent``, ``refused`` (permanent
    #: error, kept with ``fwd_error`` for an operator), ``skip`` (nothing to forward)
    fwd_state: Mapped[str] = mapped_column(String(16), default="pending")
    fwd_attempts: Mapped[int] = mapped_column(Integer, default=0)
    fwd_next_at: Mapped[datetime | None] = mapped_column()
    fwd_error: Mapped[str] = mapped_column(String(500), default="")
    #: the platform's id for it once accepted
    fwd_ref: Mapped[str] = mapped_column(String(64), default="")
