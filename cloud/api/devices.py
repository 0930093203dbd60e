"""``/api/v1/devices``: registered devices, presence and peripheral health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cloud.api.auth_deps import scope_of
from cloud.api.callers import DevicesReader
from cloud.api.deps import ClocksDep, DevicePathId, LivenessDep, SessionsDep, SiteQuery
from cloud.api.errors import error_responses
from cloud.clocks import DeviceClocks
from cloud.db import devices as device_repo
from cloud.db.models import Device, utcnow
from cloud.liveness import LivenessWatch
from cloud.schemas import DeviceDetail, DeviceEventOut, DeviceOut, PeripheralOut

router = APIRouter(
    prefix="/api/v1/devices", tags=["devices"], responses=error_responses(401, 403, 422, 500)
)


def _out(device: Device, site_path: str, clocks: DeviceClocks, watch: LivenessWatch) -> DeviceOut:
    view = watch.view(device, utcnow())
    return DeviceOut(
        id=device.id,
        name=device.name,
        role=device.role,
        site=site_path,
        online=device.online,
        bd_seq=device.bd_seq,
        last_seen=device.last_seen,
        versions=device.versions,
        peripherals=[
            PeripheralOut.model_validate(p.to_json()) for p in device_repo.peripherals(device)
        ],
        clock_offset_ms=clocks.offset_ms(device.id),
        clock_skewed=clocks.skewed(device.id),
        revoked_at=device.revoked_at,
        revoked_reason=device.revoked_reason,
        liveness=view.state.value,
        liveness_since=view.since,
        liveness_reason=view.reason,
    )


@router.get("", response_model=list[DeviceOut])
async def list_devices(
    caller: DevicesReader,
    sessions: SessionsDep,
    clocks: ClocksDep,
    watch: LivenessDep,
    site: SiteQuery = None,
    online: bool | None = None,
) -> list[DeviceOut]:
    """The devices in your scope (``site`` narrows it further)."""
    async with sessions() as s:
        listed = await device_repo.listed(s, site, online, scope_of(caller))
        return [_out(d, path, clocks, watch) for d, path in listed]


@router.get(
    "/{device_id}",
    response_model=DeviceDetail,
    responses=error_responses(described={404: "no such device (or outside your scope)"}),
)
async def device_detail(
    caller: DevicesReader,
    device_id: DevicePathId,
    sessions: SessionsDep,
    clocks: ClocksDep,
    watch: LivenessDep,
    events: Annotated[int, Query(ge=0, le=500)] = 20,
) -> DeviceDetail:
    """One device with its peripherals' health and its latest events."""
    async with sessions() as s:
        device = await device_repo.require(s, device_id)
        path = await device_repo.site_path(s, device.site_id)
        if not caller.sees(path):
            raise device_repo.not_found(device_id)
        rows = await device_repo.recent_events(s, device_id, events)
        return DeviceDetail(
            **_out(device, path, clocks, watch).model_dump(),
            events=[
                DeviceEventOut(
                    at=e.at,
                    kind=e.kind,
                    peripheral=e.peripheral,
                    health=e.health,
                    reason=e.reason,
                    data=e.data,
                    device_ts=e.device_ts,
                    corrected_at=e.corrected_at,
                )
                for e in rows
            ],
        )
