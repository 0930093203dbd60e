"""Availability of devices and site subtrees over a period, from ``device_events``.

Reads the presence events (``fleet.availability.PRESENCE_KINDS``) of the devices asked about:
the last one before the period (the state it starts in) and those inside it; computes each
device's uptime with :func:`fleet.availability.uptime` and sums devices per site, each site
counting its whole subtree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db import sites as site_repo
from cloud.db.models import Device, DeviceEvent, Site
from fleet.availability import PRESENCE_KINDS, Uptime, presence_of, total, uptime

#: device ids per ``IN (...)`` (keeps statements small on a large fleet)
CHUNK = 500


@dataclass(frozen=True, slots=True)
class DeviceUptime:
    device_id: str
    site: str
    uptime: Uptime


@dataclass(frozen=True, slots=True)
class Report:
    start: datetime
    end: datetime
    devices: list[DeviceUptime]
    #: site path → its subtree's devices together (only sites with devices, and their parents)
    sites: dict[str, Uptime]
    overall: Uptime


async def report(
    s: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    scope: str,
    site: str | None = None,
    device_id: str | None = None,
) -> Report:
    """Availability of the devices in ``scope`` (and ``site`` / ``device_id``) over the period."""
    stmt = select(Device.id, Site.path).join(Site, Site.id == Device.site_id)
    stmt = stmt.where(site_repo.in_subtree(scope)).order_by(Device.id)
    if site:
        stmt = stmt.where(site_repo.in_subtree(site))
    if device_id:
        stmt = stmt.where(Device.id == device_id)
    devices = [(d, p) for d, p in (await s.execute(stmt)).all()]
    out: list[DeviceUptime] = []
    for i in range(0, len(devices), CHUNK):
        chunk = devices[i : i + CHUNK]
        ids = [d for d, _ in chunk]
        before = await _states_before(s, ids, start)
        changes = await _changes(s, ids, start, end)
        for d, path in chunk:
            out.append(DeviceUptime(d, path, uptime(changes[d], start, end, before.get(d))))
    root = site or scope
    return Report(start, end, out, _by_site(out, root), total([d.uptime for d in out]))


async def _states_before(
    s: AsyncSession, ids: Sequence[str], start: datetime
) -> dict[str, bool | None]:
    last = (
        select(func.max(DeviceEvent.id))
        .where(
            DeviceEvent.device_id.in_(ids),
            DeviceEvent.kind.in_(PRESENCE_KINDS),
            DeviceEvent.at < start,
        )
        .group_by(DeviceEvent.device_id)
    )
    rows = await s.execute(
        select(DeviceEvent.device_id, DeviceEvent.kind, DeviceEvent.data).where(
            DeviceEvent.id.in_(last)
        )
    )
    return {d: presence_of(kind, data) for d, kind, data in rows.all()}


async def _changes(
    s: AsyncSession, ids: Sequence[str], start: datetime, end: datetime
) -> defaultdict[str, list[tuple[datetime, bool]]]:
    rows = await s.execute(
        select(DeviceEvent.device_id, DeviceEvent.at, DeviceEvent.kind, DeviceEvent.data)
        .where(
            DeviceEvent.device_id.in_(ids),
            DeviceEvent.kind.in_(PRESENCE_KINDS),
            DeviceEvent.at >= start,
            DeviceEvent.at < end,
        )
        .order_by(DeviceEvent.at, DeviceEvent.id)
    )
    changes: defaultdict[str, list[tuple[datetime, bool]]] = defaultdict(list)
    for d, at, kind, data in rows.all():
        up = presence_of(kind, data)
        if up is not None:
            changes[d].append((at, up))
    return changes


def _by_site(devices: Sequence[DeviceUptime], root: str) -> dict[str, Uptime]:
    """Each site from ``root`` down that holds devices (in its subtree): their sum."""
    sums: defaultdict[str, list[Uptime]] = defaultdict(list)
    depth = root.count("/")
    for d in devices:
        parts = d.site.split("/")
        for level in range(depth + 1, len(parts) + 1):
            sums["/".join(parts[:level])].append(d.uptime)
    return {path: total(ups) for path, ups in sorted(sums.items())}


def as_rows(rep: Report) -> list[dict[str, Any]]:
    """Flat rows (devices, then sites, then the total) for a CSV export."""
    rows = [_row("device", d.site, d.device_id, rep, d.uptime) for d in rep.devices]
    rows += [_row("site", path, "", rep, up) for path, up in rep.sites.items()]
    rows.append(_row("total", "", "", rep, rep.overall))
    return rows


COLUMNS = (
    "kind",
    "site",
    "device",
    "start_utc",
    "end_utc",
    "up_s",
    "down_s",
    "unknown_s",
    "availability_pct",
)


def _row(kind: str, site: str, device: str, rep: Report, up: Uptime) -> dict[str, Any]:
    pct = up.pct
    return {
        "kind": kind,
        "site": site,
        "device": device,
        "start_utc": rep.start.isoformat(),
        "end_utc": rep.end.isoformat(),
        "up_s": round(up.up_s, 3),
        "down_s": round(up.down_s, 3),
        "unknown_s": round(up.unknown_s, 3),
        "availability_pct": "" if pct is None else round(pct, 3),
    }
