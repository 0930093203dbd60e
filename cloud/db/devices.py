"""Device storage helpers: lookups, peripheral capability checks, routing candidates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.models import Device, Job, Site
from cloud.errors import NotFound
from fleet.routing import Candidate
from protocols.jobs import JobState
from protocols.messages import Health

#: Jobs that occupy a device (for least-busy routing).
ACTIVE_STATES = (JobState.DISPATCHED, JobState.ACCEPTED, JobState.RUNNING)
_HEALTH_RANK = {Health.OK: 0, Health.DEGRADED: 1, Health.UNKNOWN: 2, Health.OFFLINE: 3}


async def require(session: AsyncSession, device_id: str) -> Device:
    device = await session.get(Device, device_id)
    if device is None:
        raise NotFound(
            f"device {device_id!r} is not registered; it registers itself when its agent first "
            "connects (check GET /api/v1/devices for the ids that exist)"
        )
    return device


def capability_health(peripherals: Sequence[dict[str, Any]], capability: str) -> Health | None:
    """Health of the best peripheral offering ``capability``; None if none offers it."""
    best: Health | None = None
    for p in peripherals:
        if capability not in p.get("capabilities", ()):
            continue
        try:
            health = Health(p.get("health", Health.UNKNOWN))
        except ValueError:
            health = Health.UNKNOWN
        if best is None or _HEALTH_RANK[health] < _HEALTH_RANK[best]:
            best = health
    return best


def has_capability(device: Device, capability: str) -> bool:
    return capability_health(device.peripherals, capability) is not None


async def site_path(session: AsyncSession, site_id: int) -> str:
    site = await session.get(Site, site_id)
    return site.path if site else ""


async def candidates(session: AsyncSession, site_id: int, capability: str) -> list[Candidate]:
    """Online devices of a site, with their capability health and active job count."""
    devices = (
        (
            await session.execute(
                select(Device).where(Device.site_id == site_id, Device.online.is_(True))
            )
        )
        .scalars()
        .all()
    )
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
            capability_health=capability_health(d.peripherals, capability),
            active_jobs=int(busy.get(d.id, 0)),
        )
        for d in devices
    ]
