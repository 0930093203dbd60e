"""ORM models. The Alembic migration in ``cloud/migrations/versions`` must match these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: 64-bit ids on PostgreSQL; SQLite autoincrements only an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive text otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Site(Base):
    """A node of the five-level site tree; ``path`` (``qh/hx/golmud/hhl``) is its MQTT name."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    level: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Device(Base):
    """A kiosk, window PC or hall screen, as last announced by its birth."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128), default="")
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    bd_seq: Mapped[int | None] = mapped_column(BigInteger)
    #: the last session other than ``bd_seq`` seen to end (``fleet.presence``)
    ended_bd_seq: Mapped[int | None] = mapped_column(BigInteger)
    last_seen: Mapped[datetime | None]
    #: the telemetry period from its birth (``fleet.liveness``); None: the default
    heartbeat_s: Mapped[float | None] = mapped_column(Float)
    #: set while the device says online but has been quiet too long (``cloud.liveness``)
    silent_since: Mapped[datetime | None]
    #: envelope id of the last birth applied: its retained copy redelivered is no sign of life
    birth_id: Mapped[str | None] = mapped_column(String(64))
    versions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: [{id, kind, model, capabilities, health, reason, updated_at}]
    peripherals: Mapped[list[Any]] = mapped_column(default=list)
    #: set by ``revoke``: the device is cut off from the broker and the API
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str] = mapped_column(String(256), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Job(Base):
    """A unit of work for one device; see ``fleet.jobs`` for the state machine."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_state_next", "state", "next_attempt_at"),
        Index("ix_jobs_assigned_state", "assigned_device_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    #: sha256 of the canonical request, to tell a replay from a different job under one key
    request_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    target_device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id"))
    target_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    capability: Mapped[str] = mapped_column(String(64))
    #: the device's site for device targets, the target site otherwise (for filtering)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    assigned_device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id"))
    state: Mapped[str] = mapped_column(String(16), index=True)
    params: Mapped[dict[str, Any]]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    ttl_s: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    next_attempt_at: Mapped[datetime | None]
    #: when the current attempt's command was last published (for the ack timeout)
    sent_at: Mapped[datetime | None]
    sends: Mapped[int] = mapped_column(Integer, default=0)
    #: a cancel was asked while the device may hold the job: it ends on the device's answer
    cancel_requested_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(64), default="")
    message: Mapped[str] = mapped_column(String(1024), default="")
    result: Mapped[dict[str, Any] | None]
    #: what a print or copy job is for (``cloud.schemas.PrintPurpose``; "" when not given)
    purpose: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: optimistic lock: two writers of one job (ack handler, dispatcher) never both win
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class JobEvent(Base):
    """One transition of a job, with why and who caused it."""

    __tablename__ = "job_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    device_id: Mapped[str | None] = mapped_column(String(64))
    #: api | bus | dispatcher | operator
    source: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64), default="")
    message: Mapped[str] = mapped_column(String(1024), default="")


class DeviceEvent(Base):
    """Something a device reported or that happened to it (birth, online, health, ...)."""

    __tablename__ = "device_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    peripheral: Mapped[str | None] = mapped_column(String(64))
    health: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(1024), default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: for events the device reported: its own wall-clock time (ms), as sent
    device_ts: Mapped[int | None] = mapped_column(BigInteger)
    #: ``device_ts`` corrected by the device's estimated clock offset (``cloud.clocks``)
    corrected_at: Mapped[datetime | None]


class ProcessedMessage(Base):
    """Ids of handled ack messages, so a redelivered QoS1 duplicate changes nothing."""

    __tablename__ = "processed_messages"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PeripheralCallRow(Base):
    """One ``peripheral.call`` sent to a device (set an LED, ask for a rating) and its answer."""

    __tablename__ = "peripheral_calls"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    peripheral: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: sent | running | succeeded | failed | rejected | expired
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64), default="")
    message: Mapped[str] = mapped_column(String(1024), default="")
    result: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: no answer by then: the call is reported ``expired``
    expires_at: Mapped[datetime]
