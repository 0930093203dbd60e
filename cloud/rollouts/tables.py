"""The rollouts' tables (migration ``0032``): published agent releases, staged rollouts and
one row per device of a rollout (``fleet.rollouts`` decides their states).

``rollouts.revision`` is an optimistic lock: the gate of two cloud workers, or the gate and
an operator's pause, never both change one rollout; the loser's transaction rolls back and
sends nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base, utcnow

SITE_PATH = String(200).with_variant(String(200, collation="C"), "postgresql")


class AgentRelease(Base):
    """A published agent release: its manifest and the blob holding the artifact."""

    __tablename__ = "agent_releases"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    protocol: Mapped[int] = mapped_column(Integer)
    #: the manifest's ``entry`` (the command the launcher runs)
    entry: Mapped[list[Any]] = mapped_column(default=list)
    notes: Mapped[str] = mapped_column(String(500), default="")
    #: the manifest's own ``created_at`` (when the release was built)
    built_at: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(170), default="")


class Rollout(Base):
    """A staged rollout of one release over a site subtree."""

    __tablename__ = "rollouts"
    __table_args__ = (Index("ix_rollouts_state", "state"),)

    #: ``ro-`` + 24 hex
    id: Mapped[str] = mapped_column(String(27), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    site_path: Mapped[str] = mapped_column(SITE_PATH)
    #: running, paused, completed, halted, aborted (``fleet.rollouts.RolloutState``)
    state: Mapped[str] = mapped_column(String(12))
    #: [{sites: [...], max_devices: int | null}]
    waves: Mapped[list[Any]] = mapped_column(default=list)
    wave: Mapped[int] = mapped_column(Integer, default=0)
    wave_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    health_window_s: Mapped[int] = mapped_column(Integer)
    max_failures: Mapped[int] = mapped_column(Integer)
    #: device roles included; empty: all
    roles: Mapped[list[Any]] = mapped_column(default=list)
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(170), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: when it completed, halted or was aborted (a halted one is watched a while longer)
    ended_at: Mapped[datetime | None]
    revision: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012


class RolloutDevice(Base):
    """One device of a rollout: its wave, where it is and what it ran before."""

    __tablename__ = "rollout_devices"
    __table_args__ = (Index("ix_rollout_devices_wave", "rollout_id", "wave"),)

    rollout_id: Mapped[str] = mapped_column(String(27), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave: Mapped[int] = mapped_column(Integer)
    site_path: Mapped[str] = mapped_column(SITE_PATH)
    #: ``fleet.rollouts.MemberState``
    state: Mapped[str] = mapped_column(String(16))
    from_version: Mapped[str] = mapped_column(String(64), default="")
    ordered_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    rollback_sent_at: Mapped[datetime | None]
    #: a short machine reason (the device's, or ``health_timeout``/``offline``)
    reason: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
