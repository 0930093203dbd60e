"""``LivenessWatch.seen`` (issue 17): a device's ``last_seen`` is written at most once per a
fraction of its heartbeat — a job's acks no longer cost a transaction each — and the window stays
far inside the three heartbeats after which a device is shown silent."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import liveness as liveness_module
from cloud.db.models import Device, Site, utcnow
from cloud.events import EventChannel
from cloud.hub import ChangeHub
from cloud.liveness import LivenessWatch, seen_window
from protocols.telemetry import SILENT_AFTER_PERIODS
from tests.hall.queue_kit import hall_db


class Clock:
    """``time.monotonic`` as the test says."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


async def _last_seen(sessions: async_sessionmaker[AsyncSession], device_id: str) -> datetime:
    async with sessions() as s:
        device = await s.get(Device, device_id)
        assert device is not None and device.last_seen is not None
        return device.last_seen


@pytest.mark.parametrize("heartbeat_s", [0.6, 5.0, 60.0, None])
def test_the_window_is_far_inside_three_heartbeats(heartbeat_s: float | None) -> None:
    period = heartbeat_s or 60.0
    assert 0 < seen_window(heartbeat_s) <= period * SILENT_AFTER_PERIODS / 6
    assert seen_window(heartbeat_s) <= 1.0


async def test_last_seen_is_written_once_per_window_and_silence_still_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    monkeypatch.setattr(liveness_module.time, "monotonic", clock)
    async with hall_db(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}") as sessions:
        async with sessions() as s:
            site = Site(code="hhl", path="qh/hhl", name="hhl", level=2)
            s.add(site)
            await s.flush()
            s.add(Device(id="k1", site_id=site.id, role="kiosk", online=True, heartbeat_s=0.6))
            await s.commit()
        watch = LivenessWatch(sessions, ChangeHub(), EventChannel(), 3600)
        t0 = utcnow()
        await watch.seen({"k1"}, t0)
        assert await _last_seen(sessions, "k1") == t0
        clock.t += 0.1  # inside 0.15 s (a quarter of 0.6 s): not written again
        await watch.seen({"k1"}, t0 + timedelta(seconds=0.1))
        assert await _last_seen(sessions, "k1") == t0
        clock.t += 0.1  # past it: written
        t1 = t0 + timedelta(seconds=0.2)
        await watch.seen({"k1"}, t1)
        assert await _last_seen(sessions, "k1") == t1
        # quiet for three heartbeats and marked silent: its next message brings it back
        clock.t += 1.9
        t2 = t1 + timedelta(seconds=1.9)
        assert await watch.sweep(t2) == 0  # not listening: nobody judged
        watch.listening_since = lambda: t0
        assert await watch.sweep(t2) == 1
        assert await watch.seen({"k1"}, t2 + timedelta(seconds=0.01)) == 1
        assert await _last_seen(sessions, "k1") == t2 + timedelta(seconds=0.01)
