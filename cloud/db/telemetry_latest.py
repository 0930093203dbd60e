"""The newest value of each series (device, metric, device tags), kept by telemetry ingest.

What the console's device page shows as "now" and what alert rules over metrics evaluate,
without asking the time-series store (which may be remote, or down). One row per series; a
point older than the row's never replaces it (a batch replayed after an outage arrives late).
Created by migration ``0007``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow


class TeleLatest(Base):
    __tablename__ = "tele_latest"
    __table_args__ = (Index("ix_tele_latest_name_device", "name", "device_id"),)

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: the device's own tags, canonical (``peripheral=receipt,kind=receipt_printer``); "" none
    series_key: Mapped[str] = mapped_column(String(400), primary_key=True)
    #: the device's site path, for subtree queries (``LIKE 'qh/hx/%'``)
    site: Mapped[str] = mapped_column(String(200), index=True)
    value: Mapped[float] = mapped_column(Float)
    #: the point's own time (device clock, ms)
    ts_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
