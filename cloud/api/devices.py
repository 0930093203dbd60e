"""``/api/v1/devices``: registered devices, presence and peripheral health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from cloud.api.deps import CloudDep
from cloud.api.errors import error_responses
from cloud.clocks import DeviceClocks
from cloud.db import devices as device_repo
from cloud.db import sites as site_repo
from cloud.db.models import Device, DeviceEvent, Site
from cloud.schemas import DeviceDetail, DeviceEventOut, DeviceOut, PeripheralOut

router = APIRouter(prefix="/api/v1/devices", tags=["devices"], responses=error_responses(422, 500))


def _out(device: Device, site_path: str, clocks: DeviceClocks) -> DeviceOut:
    return DeviceOut(
        id=device.id,
        name=device.name,
        role=device.role,
        site=site_path,
        online=device.online,
        bd_seq=device.bd_seq,
        last_seen=device.last_seen,
        versions=device.versions,
        peripherals=[PeripheralOut.model_validate(p) for p in device.peripherals],
        clock_offset_ms=clocks.offset_ms(device.id),
        clock_skewed=clocks.skewed(device.id),
    )


@router.get("", response_model=list[DeviceOut])
async def list_devices(
    cloud: CloudDep,
    site: Annotated[
        str | None, Query(max_length=200, description="site path; includes its subtree")
    ] = None,
    online: bool | None = None,
) -> list[DeviceOut]:
    stmt = select(Device, Site.path).join(Site, Site.id == Device.site_id).order_by(Device.id)
    if site:
        stmt = stmt.where(site_repo.in_subtree(site))
    if online is not None:
        stmt = stmt.where(Device.online.is_(online))
    async with cloud.sessions() as s:
        return [_out(d, path, cloud.clocks) for d, path in (await s.execute(stmt)).all()]


@router.get(
    "/{device_id}",
    response_model=DeviceDetail,
    responses=error_responses(described={404: "no such device"}),
)
async def device_detail(
    device_id: str, cloud: CloudDep, events: Annotated[int, Query(ge=0, le=500)] = 20
) -> DeviceDetail:
    """One device with its peripherals' health and its latest events."""
    async with cloud.sessions() as s:
        device = await device_repo.require(s, device_id)
        path = await device_repo.site_path(s, device.site_id)
        rows = await s.scalars(
            select(DeviceEvent)
            .where(DeviceEvent.device_id == device_id)
            .order_by(DeviceEvent.id.desc())
            .limit(events)
        )
        return DeviceDetail(
            **_out(device, path, cloud.clocks).model_dump(),
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
                for e in rows.all()
            ],
        )
