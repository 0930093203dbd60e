"""The 7x24 monitoring worker: keeps ``mon-<device>`` up for every online device with a
camera in ``media_monitor_sites``, and writes every device stream's health into telemetry.

Each pass (every ``media_monitor_interval_s``) reads the devices, asks the media service
which streams are live, lets :class:`fleet.media_monitor.MonitorState` decide what to start
and stop, does it, and records ``stream.fps``, ``stream.bitrate_kbps``, ``stream.loss_pct``,
``stream.viewers`` and ``stream.stalled`` (1: the relay saw no media for its stall time, or
a watched device's stream is not live past the start grace) tagged like the device's own
points plus ``stream`` and ``purpose``. The ``stream_stalled`` alert rule reads
``stream.stalled``; a stream the worker stops gets one last ``stalled = 0`` so no alert
outlives it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.models import Device, Site
from cloud.media.backend import StreamHealth, StreamPurpose
from cloud.settings_media_monitor import MediaMonitorSettings
from cloud.telemetry.latest import upsert_latest
from cloud.telemetry.model import Point
from cloud.telemetry.validate import cloud_tags_of
from fleet.media_monitor import STREAM_METRICS, CameraDevice, MonitorState, Plan
from fleet.peripherals import parse_all
from protocols.av import monitor_stream_id

log = logging.getLogger(__name__)


class MonitorMedia(Protocol):
    """What the worker needs of ``parts.media`` (:class:`cloud.media.service.MediaService`)."""

    async def start_device_stream(
        self, device_id: str, stream_id: str, purpose: StreamPurpose, site_path: str
    ) -> str: ...

    async def stop_device_stream(self, device_id: str, stream_id: str) -> object: ...

    def health(self) -> list[StreamHealth]: ...


class PointSink(Protocol):
    """Where the points go: the telemetry pipeline's writer queue (never waits)."""

    def enqueue(self, points: Sequence[Point]) -> int: ...


class StreamMonitor:
    """The worker (its :meth:`run` is one of the app's workers)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        media: MonitorMedia | None,
        sink: PointSink,
        sites: Sequence[str],
        *,
        interval_s: float = 10.0,
        grace_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        wall_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self._sessions, self._media, self._sink = sessions, media, sink
        self.sites = tuple(sites)
        self.interval_s = interval_s
        self.state = MonitorState(grace_s)
        self._clock, self._wall_ms = clock, wall_ms
        self.passes = 0

    async def run(self) -> None:
        if self._media is None:
            log.info("no media plane in this build: no monitoring streams, no stream health")
            return
        while True:
            try:
                await self.pass_once()
            except Exception:  # a database or media hiccup must not end 7x24 monitoring
                log.exception("stream monitor pass failed; the next pass retries")
            await asyncio.sleep(self.interval_s)

    async def pass_once(self) -> Plan:
        """One pass: start, stop, record. Returns what it decided."""
        if self._media is None:
            return Plan()
        health = self._media.health()
        live = {h.info.stream_id: h.info.device_id for h in health if h.info.device_id}
        devices = await self._devices(set(live.values()))
        now = self._clock()
        plan = self.state.plan(devices.values(), self.sites, live, now)
        for d in plan.start:
            await self._start(d)
        for device_id, stream_id in plan.stop:
            await self._stop(device_id, stream_id)
        await self._record(health, devices, plan, self.state.missing(live, now))
        self.passes += 1
        return plan

    async def _start(self, device: CameraDevice) -> None:
        stream_id = monitor_stream_id(device.device_id)
        assert self._media is not None
        try:
            call = await self._media.start_device_stream(
                device.device_id, stream_id, "monitor", device.site
            )
        except Exception as err:  # the media service's or call service's refusal, any kind
            log.warning("monitoring stream %s not started (retried later): %s", stream_id, err)
            return
        log.info("monitoring stream %s asked of %s (call %s)", stream_id, device.device_id, call)

    async def _stop(self, device_id: str, stream_id: str) -> None:
        assert self._media is not None
        try:
            await self._media.stop_device_stream(device_id, stream_id)
        except Exception as err:  # the device may be gone already; its stream ends with it
            log.warning("monitoring stream %s not stopped cleanly: %s", stream_id, err)

    async def _devices(self, also: set[str]) -> dict[str, CameraDevice]:
        """Devices in the monitored subtrees, and those publishing a stream now."""
        where: list[ColumnElement[bool]] = [Device.id.in_(sorted(also))] if also else []
        for site in self.sites:
            where += [Site.path == site, Site.path.startswith(site + "/")]
        if not where:
            return {}
        stmt = (
            select(Device, Site.path)
            .join(Site, Site.id == Device.site_id)
            .where(Device.revoked_at.is_(None), or_(*where))
        )
        async with self._sessions() as s:
            rows = (await s.execute(stmt)).all()
        return {
            d.id: CameraDevice(d.id, path, d.role, d.online, parse_all(d.peripherals))
            for d, path in rows
        }

    async def _record(
        self,
        health: Sequence[StreamHealth],
        devices: dict[str, CameraDevice],
        plan: Plan,
        missing: dict[str, str],
    ) -> None:
        ts = self._wall_ms()
        points: list[Point] = []
        for h in health:
            device = devices.get(h.info.device_id or "")
            if device is not None:
                values = (h.fps, h.bitrate_kbps, h.packet_loss_pct, h.viewers)
                stalled = h.state == "stalled"
                points += _points(device, h.info.stream_id, h.info.purpose, values, stalled, ts)
        for stream_id, device_id in missing.items():
            if device_id in devices:
                points += _points(devices[device_id], stream_id, "monitor", (0, 0, 0, 0), True, ts)
        for device_id, stream_id in plan.stop:
            if device_id in devices:
                points += _points(devices[device_id], stream_id, "monitor", (0, 0, 0, 0), False, ts)
        if not points:
            return
        async with self._sessions() as s:
            await upsert_latest(s, points)
            await s.commit()
        self._sink.enqueue(points)


def _points(
    device: CameraDevice,
    stream_id: str,
    purpose: str,
    values: tuple[float, float, float, float],
    stalled: bool,
    ts_ms: int,
) -> list[Point]:
    tags = cloud_tags_of(device.device_id, device.role, device.site) | {
        "stream": stream_id,
        "purpose": purpose,
    }
    numbers = (*values, 1.0 if stalled else 0.0)
    return [
        Point(name, float(v), ts_ms, tags) for name, v in zip(STREAM_METRICS, numbers, strict=True)
    ]


def build_monitor(
    settings: MediaMonitorSettings,
    sessions: async_sessionmaker[AsyncSession],
    telemetry: PointSink,
    media: MonitorMedia | None,
) -> StreamMonitor:
    """The worker with the ``media_monitor_*`` settings (``cloud.wiring.build``)."""
    return StreamMonitor(
        sessions,
        media,
        telemetry,
        settings.media_monitor_sites,
        interval_s=settings.media_monitor_interval_s,
        grace_s=settings.media_monitor_start_grace_s,
    )
