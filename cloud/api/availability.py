"""``GET /api/v1/availability``: uptime % per device and per site subtree over a period, as
JSON or as a CSV export (``format=csv``), for the devices in the caller's site subtree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from cloud import audit_csv
from cloud import availability as avail
from cloud.api.auth_deps import scope_of
from cloud.api.callers import DevicesReader
from cloud.api.deps import DeviceQuery, SessionsDep, SiteQuery
from cloud.api.errors import error_responses
from cloud.api.telemetry import TimeQuery
from cloud.api.telemetry import parse_time as parse_ms
from cloud.db import devices as device_repo
from cloud.db.models import utcnow
from fleet.availability import Uptime

router = APIRouter(
    prefix="/api/v1/availability",
    tags=["availability"],
    responses=error_responses(401, 403, 422, 500),
)

#: the period when none is asked
DEFAULT_PERIOD = timedelta(hours=24)


class UptimeOut(BaseModel):
    up_s: float
    down_s: float
    unknown_s: float
    #: up / (up + down) in percent; null when nothing is known in the period
    availability_pct: float | None


class DeviceAvailability(UptimeOut):
    device: str
    site: str


class SiteAvailability(UptimeOut):
    site: str


class AvailabilityOut(BaseModel):
    start: datetime
    end: datetime
    devices: list[DeviceAvailability]
    #: each site with devices in the asked subtree, its whole subtree summed (device-seconds)
    sites: list[SiteAvailability]
    total: UptimeOut


def period(start: int | datetime | None, end: int | datetime | None) -> tuple[datetime, datetime]:
    """``[start, end)`` as the telemetry API reads times (Unix ms or ISO 8601 with a zone;
    clamped to 1970..9999). An end past now counts up to now (the future is not known yet);
    a start at or after the end is an empty period; any length is answered (the cost is the
    presence events, not the span). All are requests the schema allows: none is a 422."""
    now_ms = int(utcnow().timestamp() * 1000)
    until_ms = min(parse_ms(end, now_ms), now_ms)
    since_ms = min(parse_ms(start, until_ms - int(DEFAULT_PERIOD.total_seconds() * 1000)), until_ms)
    return _at(since_ms), _at(until_ms)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _uptime(up: Uptime) -> dict[str, float | None]:
    return {
        "up_s": up.up_s,
        "down_s": up.down_s,
        "unknown_s": up.unknown_s,
        "availability_pct": up.pct,
    }


@router.get(
    "",
    response_model=AvailabilityOut,
    responses={
        200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"},
        **error_responses(described={404: "no such device (or outside your scope)"}),
    },
)
async def availability(
    caller: DevicesReader,
    sessions: SessionsDep,
    site: SiteQuery = None,
    device: DeviceQuery = None,
    start: TimeQuery = None,
    end: TimeQuery = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> AvailabilityOut | Response:
    """Uptime of each device (online up; offline and silent down; unknown before the first
    presence event) over ``[start, end)``, and per site subtree; default the last 24 h."""
    since, until = period(start, end)
    async with sessions() as s:
        rep = await avail.report(
            s, since, until, scope=scope_of(caller), site=site, device_id=device
        )
    if device and not rep.devices:
        raise device_repo.not_found(device)
    if format == "csv":
        return _csv(rep)
    return AvailabilityOut(
        start=rep.start,
        end=rep.end,
        devices=[
            DeviceAvailability(device=d.device_id, site=d.site, **_uptime(d.uptime))
            for d in rep.devices
        ],
        sites=[SiteAvailability(site=p, **_uptime(u)) for p, u in rep.sites.items()],
        total=UptimeOut(**_uptime(rep.overall)),
    )


def _csv(rep: avail.Report) -> Response:
    cells = [
        [audit_csv.safe_cell(str(row[c])) for c in avail.COLUMNS] for row in avail.as_rows(rep)
    ]
    body = audit_csv.BOM + audit_csv.lines([list(avail.COLUMNS), *cells])
    name = f"kfleet-availability-{rep.start:%Y%m%dT%H%M%SZ}-{rep.end:%Y%m%dT%H%M%SZ}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
