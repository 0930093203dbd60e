"""Device storage: lookups, typed peripherals, routing candidates, lists and event history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db import sites as site_repo
from cloud.db.models import Device, DeviceEvent, Job, Site
from cloud.errors import NotFound
from fleet.peripherals import PeripheralState, capability_health, parse_all
from fleet.routing import Candidate
from protocols.jobs import JobState
from protocols.messages import BirthBody

#: Jobs that occupy a device (for least-busy routing).
ACTIVE_STATES = (JobState.DISPATCHED, JobState.ACCEPTED, JobState.RUNNING)


async def get(session: AsyncSession, device_id: str) -> Device | None:
    return await session.get(Device, device_id)


async def locked(session: AsyncSession, device_id: str) -> Device | None:
    """The device row locked for this transaction (``FOR UPDATE`` on PostgreSQL; SQLite locks
    the whole file when it writes): several cloud workers apply one device's presence
    messages one after the other, each on the state the previous one committed."""
    return await session.get(Device, device_id, with_for_update=True, populate_existing=True)


def not_found(device_id: str) -> NotFound:
    """The 404 of an unknown device — and of one outside the caller's scope (the same words,
    so a caller cannot learn that a device exists elsewhere)."""
    return NotFound(
        f"device {device_id!r} is not registered; it registers itself when its agent first "
        "connects (check GET /api/v1/devices for the ids that exist)"
    )


async def require(session: AsyncSession, device_id: str) -> Device:
    device = await session.get(Device, device_id)
    if device is None:
        raise not_found(device_id)
    return device


def peripherals(device: Device) -> tuple[PeripheralState, ...]:
    """The device's peripherals as last announced (typed)."""
    return parse_all(device.peripherals)


def set_peripherals(device: Device, states: Sequence[PeripheralState]) -> None:
    """Store ``states`` (a new list, so the JSON column is rewritten)."""
    device.peripherals = [p.to_json() for p in states]


async def site_path(session: AsyncSession, site_id: int) -> str:
    site = await session.get(Site, site_id)
    return site.path if site else ""


async def peripherals_at_site(
    session: AsyncSession, site_id: int
) -> list[tuple[PeripheralState, ...]]:
    """The peripherals of every device of a site, online or not (site jobs run on these)."""
    rows = await session.scalars(select(Device.peripherals).where(Device.site_id == site_id))
    return [parse_all(p) for p in rows.all()]


async def candidates(session: AsyncSession, site_id: int, capability: str) -> list[Candidate]:
    """Online devices of a site (not silent: ``cloud.liveness``), with their capability
    health and active job count."""
    devices = (
        await session.scalars(
            select(Device).where(
                Device.site_id == site_id,
                Device.online.is_(True),
                Device.silent_since.is_(None),
            )
        )
    ).all()
    if not devices:
        return []
    rows = (
        await session.execute(
            select(Job.assigned_device_id, func.count())
            .where(
                Job.assigned_device_id.in_([d.id for d in devices]),
                Job.state.in_(ACTIVE_STATES),
            )
            .group_by(Job.assigned_device_id)
        )
    ).all()
    busy = {device_id: count for device_id, count in rows}
    return [
        Candidate(
            device_id=d.id,
            online=d.online,
            capability_health=capability_health(peripherals(d), capability),
            active_jobs=int(busy.get(d.id, 0)),
        )
        for d in devices
    ]


async def listed(
    session: AsyncSession, site: str | None, online: bool | None, scope: str | None = None
) -> Sequence[tuple[Device, str]]:
    """Devices (with their site path) by id, optionally of a subtree and by presence; only
    those in the subtree ``scope`` when given (the caller's)."""
    stmt = select(Device, Site.path).join(Site, Site.id == Device.site_id).order_by(Device.id)
    if scope is not None:
        stmt = stmt.where(site_repo.in_subtree(scope))
    if site:
        stmt = stmt.where(site_repo.in_subtree(site))
    if online is not None:
        stmt = stmt.where(Device.online.is_(online))
    return [(d, path) for d, path in (await session.execute(stmt)).all()]


async def recent_events(session: AsyncSession, device_id: str, limit: int) -> Sequence[DeviceEvent]:
    rows = await session.scalars(
        select(DeviceEvent)
        .where(DeviceEvent.device_id == device_id)
        .order_by(DeviceEvent.id.desc())
        .limit(limit)
    )
    return rows.all()


def apply_birth(device: Device, site_id: int, msg_id: str, body: BirthBody, now: datetime) -> bool:
    """What a birth says about the device; False if it is the broker's retained copy of the
    birth applied last (redelivered on a reconnect: no sign of life, ``last_seen`` stays)."""
    device.site_id = site_id
    device.role = body.role.value
    device.name = body.name
    device.versions = body.versions.model_dump(mode="json")
    device.heartbeat_s = body.tele_interval_s
    alive = device.birth_id != msg_id
    device.birth_id = msg_id
    at = now.isoformat()
    set_peripherals(device, [PeripheralState.announced(p, at) for p in body.peripherals])
    if alive or device.last_seen is None:
        device.last_seen = now
    return alive
