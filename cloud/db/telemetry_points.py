"""The SQL default's time-series tables (migration ``0008``): raw points and 5-minute rollups.

``tele_points`` keeps every accepted point for ``tele_raw_retention_days``; its key is the
series (device, metric, the device's own tags) and the point's own time, so a point written
twice (a batch retried after a timeout, an outbox replayed under a new message id) is stored
once. ``tele_rollups`` keeps, per series and 5-minute bucket of the points' own time, their
count, sum, min, max and newest value, for ``tele_rollup_retention_days``: long ranges are
answered from it. Both carry the device's role and site path (subtree queries).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base

#: the rollups' bucket (ms of the points' own time)
ROLLUP_MS = 5 * 60 * 1000


class TelePoint(Base):
    __tablename__ = "tele_points"
    __table_args__ = (
        Index("ix_tele_points_name_site_ts", "name", "site", "ts_ms"),
        Index("ix_tele_points_ts", "ts_ms"),
    )

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: the device's own tags, canonical (``cloud.telemetry.latest.series_key``); "" if none
    series_key: Mapped[str] = mapped_column(String(400), primary_key=True)
    #: the point's own time (device clock, ms)
    ts_ms: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    role: Mapped[str] = mapped_column(String(32))
    site: Mapped[str] = mapped_column(String(200))


class TeleRollup(Base):
    __tablename__ = "tele_rollups"
    __table_args__ = (
        Index("ix_tele_rollups_name_site_bucket", "name", "site", "bucket_ms"),
        Index("ix_tele_rollups_bucket", "bucket_ms"),
    )

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    series_key: Mapped[str] = mapped_column(String(400), primary_key=True)
    #: start of the 5-minute bucket (ms, a multiple of :data:`ROLLUP_MS`)
    bucket_ms: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    vcount: Mapped[int] = mapped_column(Integer)
    vsum: Mapped[float] = mapped_column(Float)
    vmin: Mapped[float] = mapped_column(Float)
    vmax: Mapped[float] = mapped_column(Float)
    #: the value of the bucket's newest point, and that point's time
    vlast: Mapped[float] = mapped_column(Float)
    last_ts: Mapped[int] = mapped_column(BigInteger)
    role: Mapped[str] = mapped_column(String(32))
    site: Mapped[str] = mapped_column(String(200))
