"""Call recordings (migration ``0033``): one row per recorded stream of a call (the kiosk's
camera and microphone, the operator's), kept after retention deletes the file so the record
says a recording existed, how long, and when it was deleted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow


class HelpRecordingRow(Base):
    """One stream of one call, recorded to a WebM file under ``help_recording_dir``."""

    __tablename__ = "help_recordings"
    __table_args__ = (
        UniqueConstraint("call_id", "side", name="uq_help_recordings_side"),
        Index("ix_help_recordings_started", "started_at"),
    )

    #: ``rec-`` + 24 hex
    recording_id: Mapped[str] = mapped_column(String(28), primary_key=True)
    call_id: Mapped[str] = mapped_column(String(27))
    #: ``kiosk`` (the citizen's side) or ``operator``
    side: Mapped[str] = mapped_column(String(8))
    stream_id: Mapped[str] = mapped_column(String(64))
    #: the file, relative to ``help_recording_dir``
    path: Mapped[str] = mapped_column(String(200))
    #: ``recording`` → ``complete`` | ``failed`` | ``empty``; ``deleted`` after retention
    state: Mapped[str] = mapped_column(String(10), default="recording")
    reason: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    #: frames dropped because the disk could not keep up (gaps in the record)
    dropped: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
