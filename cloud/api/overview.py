"""``GET /api/v1/sites/{path}/overview``: a site subtree at a glance (the console's /overview).

The site path holds slashes (``qh/hx/golmud``), so the route takes the rest of the URL up to
``/overview`` (``{path:path}``), checked against the site-path pattern (else 422).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from cloud.api.callers import DevicesReader
from cloud.api.deps import SessionsDep
from cloud.api.errors import error_responses
from cloud.db import sites as site_repo
from cloud.db.models import utcnow
from cloud.schemas import SITE_PATH_PATTERN
from cloud.site_overview import Overview, site_overview

router = APIRouter(prefix="/api/v1/sites", tags=["sites"])
SitePath = Annotated[
    str,
    Path(
        pattern=SITE_PATH_PATTERN,
        description="a site path with its slashes (qh/hx/golmud): lower-case codes, 1-5 levels",
    ),
]


class DeviceLiveOut(BaseModel):
    id: str
    name: str
    role: str
    site: str
    liveness: str = Field(description="online / silent / offline / never_seen")
    reason: str = Field(description="why, for silent and offline devices (English)")
    since: datetime | None


class PrinterOut(BaseModel):
    device: str
    peripheral: str
    kind: str
    paper: str = Field(description="ok / near_end / out / unknown")
    ts_ms: int | None = Field(description="time of the telemetry point; null: from its health")


class FailingDeviceOut(BaseModel):
    device: str
    failed: int
    last_reason: str


class OverviewOut(BaseModel):
    site: str
    generated_at: datetime
    devices: dict[str, int] = Field(description="device count by liveness")
    device_list: list[DeviceLiveOut]
    peripherals: dict[str, int] = Field(description="peripheral count by health")
    paper: dict[str, int] = Field(description="printer count by paper state")
    printers: list[PrinterOut]
    hours: list[datetime] = Field(description="start of each of the last 24 hours (UTC)")
    jobs_per_hour: dict[str, list[int]] = Field(
        description="job state → jobs created in each hour of ``hours`` now in that state"
    )
    failed_by_reason: dict[str, int] = Field(description="failed jobs of the last 24 h")
    failing_devices: list[FailingDeviceOut]


def _out(o: Overview) -> OverviewOut:
    return OverviewOut(
        site=o.site,
        generated_at=o.generated_at,
        devices=o.by_liveness(),
        device_list=[DeviceLiveOut.model_validate(d, from_attributes=True) for d in o.devices],
        peripherals=o.peripheral_health,
        paper=o.paper_counts(),
        printers=[PrinterOut.model_validate(p, from_attributes=True) for p in o.printers],
        hours=o.hours,
        jobs_per_hour=o.jobs_per_hour,
        failed_by_reason=o.failed_by_reason,
        failing_devices=[
            FailingDeviceOut.model_validate(f, from_attributes=True) for f in o.failing_devices
        ],
    )


@router.get(
    "/{path:path}/overview",
    response_model=OverviewOut,
    responses=error_responses(
        401,
        403,
        500,
        described={
            422: "the path is not a site path (lower-case codes joined by '/', 1-5 levels)",
            404: "no such site (or outside your scope)",
        },
    ),
)
async def overview(path: SitePath, caller: DevicesReader, sessions: SessionsDep) -> OverviewOut:
    """The subtree at ``path``: devices by liveness (online / silent / offline), peripherals by
    health, printers' paper (ok / near end / out), jobs per hour over the last 24 h by state,
    failed jobs by reason and the devices failing most."""
    if not caller.sees(path):
        raise site_repo.not_found(path)
    async with sessions() as s:
        await site_repo.require(s, path)
        return _out(await site_overview(s, path, utcnow()))
