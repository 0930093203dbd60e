"""A site subtree at a glance: devices by liveness and peripheral health, printers' paper,
jobs per hour over the last 24 h, failures. Read by ``GET /api/v1/sites/{path}/overview``.

Everything is counted from the database the cloud already keeps (devices, jobs, the newest
telemetry values in ``tele_latest``), so the overview works on the SQL default without a
time-series store. A device that is not live (silent, offline, never seen) cannot vouch for its
peripherals: their health and paper count as unknown, as the console shows them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db import sites as site_repo
from cloud.db.models import Device, Job, Site
from cloud.telemetry.latest import LatestValue, latest_values
from fleet.liveness import Liveness, liveness
from fleet.peripherals import PeripheralState, parse_all
from protocols.jobs import JobState
from protocols.messages import Health
from protocols.telemetry import PaperCode, PeripheralMetric

#: peripheral kinds that hold paper
PRINTER_KINDS = frozenset({"receipt_printer", "a4_printer"})
#: how far back "jobs per hour" and the failure counts look
WINDOW = timedelta(hours=24)
#: at most this many failing devices are listed (most failures first)
FAILING_LIMIT = 20
_PAPER_BY_REASON = {
    "near_end": PaperCode.NEAR_END,
    "paper_low": PaperCode.NEAR_END,
    "paper_out": PaperCode.OUT,
}


@dataclass(frozen=True, slots=True)
class DeviceLive:
    id: str
    name: str
    role: str
    site: str
    liveness: Liveness
    reason: str
    since: datetime | None


@dataclass(frozen=True, slots=True)
class PrinterPaper:
    device: str
    peripheral: str
    kind: str
    paper: str  # a PaperCode name, lower case: ok / near_end / out / unknown
    ts_ms: int | None  # the telemetry point's time; None: from the peripheral's health


@dataclass(frozen=True, slots=True)
class FailingDevice:
    device: str
    failed: int
    last_reason: str


@dataclass(frozen=True, slots=True)
class Overview:
    site: str
    generated_at: datetime
    devices: list[DeviceLive]
    peripheral_health: dict[str, int]
    printers: list[PrinterPaper]
    hours: list[datetime]  # the start of each of the last 24 hours, oldest first
    jobs_per_hour: dict[str, list[int]]  # job state → one count per hour
    failed_by_reason: dict[str, int]
    failing_devices: list[FailingDevice] = field(default_factory=list)

    def by_liveness(self) -> dict[str, int]:
        counts = Counter(d.liveness.value for d in self.devices)
        return {state.value: counts.get(state.value, 0) for state in Liveness}

    def paper_counts(self) -> dict[str, int]:
        counts = Counter(p.paper for p in self.printers)
        return {code.name.lower(): counts.get(code.name.lower(), 0) for code in PaperCode}


def paper_of(
    device: str, state: PeripheralState, live: bool, latest: LatestValue | None
) -> PrinterPaper:
    """A printer's paper: its newest ``peripheral.paper`` point, unless its health changed
    after that point (then what the health reason says: ``near_end``, ``paper_out``; a health
    event arrives at once, telemetry only once a period); unknown when its device is not live."""
    if not live:
        return PrinterPaper(device, state.id, state.kind, "unknown", None)
    if (
        latest is not None
        and latest.value in {c.value for c in PaperCode}
        and latest.ts_ms >= _ms(state.updated_at)
    ):
        code = PaperCode(int(latest.value))
        return PrinterPaper(device, state.id, state.kind, code.name.lower(), latest.ts_ms)
    if state.reason in _PAPER_BY_REASON:
        code = _PAPER_BY_REASON[state.reason]
    elif state.health is Health.OK:
        code = PaperCode.OK
    else:
        code = PaperCode.UNKNOWN
    return PrinterPaper(device, state.id, state.kind, code.name.lower(), None)


def _ms(iso: str | None) -> int:
    """An ISO time as epoch ms; 0 when absent or unreadable (then telemetry wins)."""
    try:
        return int(datetime.fromisoformat(iso).timestamp() * 1000) if iso else 0
    except ValueError:
        return 0


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def jobs_per_hour(
    rows: Iterable[tuple[datetime, str]], now: datetime
) -> tuple[list[datetime], dict[str, list[int]]]:
    """Count jobs by the hour they were created in (the last 24 hours, the current one last)
    and by their state now. Every state has a row, zeros included, so charts line up."""
    first = _hour(now) - timedelta(hours=23)
    hours = [first + timedelta(hours=i) for i in range(24)]
    counts = {state.value: [0] * 24 for state in JobState}
    for created_at, state in rows:
        slot = int((created_at - first).total_seconds() // 3600)
        if 0 <= slot < 24 and state in counts:
            counts[state][slot] += 1
    return hours, counts


def failures(rows: Iterable[tuple[str | None, str]]) -> tuple[dict[str, int], list[FailingDevice]]:
    """Failed jobs (device, reason), oldest first → counts by reason, and devices with the most
    failures (with the reason of their latest one)."""
    by_reason: Counter[str] = Counter()
    by_device: Counter[str] = Counter()
    last: dict[str, str] = {}
    for device, reason in rows:
        by_reason[reason or "unknown"] += 1
        if device:
            by_device[device] += 1
            last[device] = reason or "unknown"
    failing = [FailingDevice(d, n, last[d]) for d, n in by_device.most_common(FAILING_LIMIT)]
    return dict(by_reason.most_common()), failing


def _device_views(
    listed: Sequence[tuple[Device, str]], latest: Sequence[LatestValue], now: datetime
) -> tuple[list[DeviceLive], dict[str, int], list[PrinterPaper]]:
    paper = {
        (v.device_id, v.tags.get("peripheral", "")): v
        for v in latest
        if v.name == PeripheralMetric.PAPER.value
    }
    devices: list[DeviceLive] = []
    health: Counter[str] = Counter()
    printers: list[PrinterPaper] = []
    for device, path in listed:
        view = liveness(device.online, device.last_seen, device.heartbeat_s, now)
        live = view.state is Liveness.ONLINE
        devices.append(
            DeviceLive(
                device.id, device.name, device.role, path, view.state, view.reason, view.since
            )
        )
        for state in parse_all(device.peripherals):
            health[state.health.value if live else Health.UNKNOWN.value] += 1
            if state.kind in PRINTER_KINDS:
                printers.append(paper_of(device.id, state, live, paper.get((device.id, state.id))))
    return devices, {h.value: health.get(h.value, 0) for h in Health}, printers


async def site_overview(session: AsyncSession, path: str, now: datetime) -> Overview:
    """The overview of the subtree at ``path`` (the caller checked the site and its scope)."""
    listed = (
        await session.execute(
            select(Device, Site.path)
            .join(Site, Site.id == Device.site_id)
            .where(site_repo.in_subtree(path))
            .order_by(Device.id)
        )
    ).all()
    latest = await latest_values(session, site=path, names=[PeripheralMetric.PAPER.value])
    devices, health, printers = _device_views([(d, p) for d, p in listed], latest, now)
    in_site = Job.site_id.in_(select(Site.id).where(site_repo.in_subtree(path)))
    since = now - WINDOW
    created = await session.execute(
        select(Job.created_at, Job.state).where(in_site, Job.created_at >= _hour(since))
    )
    hours, per_hour = jobs_per_hour([(c, st) for c, st in created.all()], now)
    failed = await session.execute(
        select(Job.assigned_device_id, Job.reason)
        .where(in_site, Job.state == JobState.FAILED.value, Job.updated_at >= since)
        .order_by(Job.updated_at)
    )
    by_reason, failing = failures([(d, why) for d, why in failed.all()])
    return Overview(path, now, devices, health, printers, hours, per_hour, by_reason, failing)
