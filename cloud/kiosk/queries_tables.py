"""The convenience queries' tables (migration ``0020``): one-time codes with the identity
tokens they grant, and one usage row per query run.

Nothing here names a person in clear: the citizen is an HMAC of the ID number and name under
the cloud's secret key (enough to match the token to the card read at the same kiosk, useless
to a reader of the database), the phone an HMAC too (for the per-phone rate limit), the code
and the token their hashes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow


class KioskOtp(Base):
    """One one-time code sent to a citizen's phone on file, asked at one kiosk."""

    __tablename__ = "kiosk_otps"
    __table_args__ = (
        Index("ix_kiosk_otps_person", "person_hash"),
        Index("ix_kiosk_otps_phone_created", "phone_hash", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_hash: Mapped[str] = mapped_column(String(64))
    phone_hash: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    #: ``active`` (waiting for the code), ``verified`` (the code was right once), ``locked``
    #: (too many wrong codes), ``superseded`` (a newer code was sent to the same person)
    state: Mapped[str] = mapped_column(String(16), default="active")
    tries: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    #: the identity token this code granted (its hash) and until when it holds
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column()


class KioskQueryUsage(Base):
    """One query run at a kiosk and how it ended; never who asked nor what came back."""

    __tablename__ = "kiosk_query_usage"
    __table_args__ = (Index("ix_kiosk_query_usage_site_at", "site", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    query: Mapped[str] = mapped_column(String(48))
    department: Mapped[str] = mapped_column(String(16))
    site: Mapped[str] = mapped_column(String(200))
    device_id: Mapped[str] = mapped_column(String(64))
    #: ``ok``, ``refused``, ``timeout``, ``maintenance``, ``unavailable``, ``failed``,
    #: ``not_configured``, ``identity`` (no valid identity token), ``bad_input``
    outcome: Mapped[str] = mapped_column(String(24))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
