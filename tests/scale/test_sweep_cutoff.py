"""The liveness sweep reads only the devices quiet for longer than their own heartbeats allow
(the cutoff is in the query, per distinct heartbeat) and marks exactly the devices that
``fleet.liveness`` calls silent, with quiet time counted from when the cloud started
listening: the same outcome as judging every online device row by row."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from cloud.db import sites as site_repo
from cloud.db.models import Device, utcnow
from cloud.settings import Settings
from cloud.wiring import Parts
from fleet.liveness import Liveness, liveness
from tests.cloudkit import running_cloud

HHL = "qh/hx/golmud/hhl"
#: name -> (online, heartbeat_s, seconds since its last message)
FLEET: dict[str, tuple[bool, float | None, float]] = {
    "default-quiet": (True, None, 200),  # 3 x 60 s allowed
    "default-fresh": (True, None, 170),
    "zero-quiet": (True, 0.0, 200),  # no heartbeat: the default period
    "ten-quiet": (True, 10.0, 31),
    "ten-fresh": (True, 10.0, 29),
    "sixty-fresh": (True, 60.0, 170),
    "sixty-quiet": (True, 60.0, 190),
    "offline-quiet": (False, 10.0, 500),
}


async def _fleet(cloud: Parts, prefix: str, now: datetime) -> None:
    async with cloud.sessions() as s:
        site = await site_repo.get_by_path(s, HHL)
        assert site is not None
        for name, (online, heartbeat_s, quiet_s) in FLEET.items():
            s.add(
                Device(
                    id=prefix + name,
                    site_id=site.id,
                    role="kiosk",
                    online=online,
                    bd_seq=1,
                    heartbeat_s=heartbeat_s,
                    last_seen=now - timedelta(seconds=quiet_s),
                )
            )
        await s.commit()


async def _silent(cloud: Parts, prefix: str) -> set[str]:
    async with cloud.sessions() as s:
        ids = await s.scalars(
            select(Device.id).where(Device.id.startswith(prefix), Device.silent_since.is_not(None))
        )
        return {i[len(prefix) :] for i in ids}


def _expected(now: datetime, listening: datetime) -> set[str]:
    """What judging every device one by one (``fleet.liveness``) says."""
    return {
        name
        for name, (online, heartbeat_s, quiet_s) in FLEET.items()
        if online
        and liveness(True, max(now - timedelta(seconds=quiet_s), listening), heartbeat_s, now).state
        is Liveness.SILENT
    }


async def test_the_sweep_marks_exactly_the_devices_quiet_past_their_own_heartbeats(
    tmp_path: Path, uid: str, mosquitto_url: str
) -> None:
    settings = Settings(
        data_dir=tmp_path, mqtt_url=mosquitto_url, demo=True, liveness_interval_s=3600
    )
    async with running_cloud(settings) as (cloud, _http):
        now = utcnow()
        long_ago, lately = now - timedelta(hours=1), now - timedelta(seconds=45)
        await _fleet(cloud, f"one{uid}-", now)

        cloud.liveness.listening_since = lambda: lately  # quiet counts from 45 s ago
        await cloud.liveness.sweep(now)
        lately_marked = await _silent(cloud, f"one{uid}-")
        await _fleet(cloud, f"two{uid}-", now)
        cloud.liveness.listening_since = lambda: long_ago
        await cloud.liveness.sweep(now)
        marked = await _silent(cloud, f"two{uid}-")

    assert lately_marked == _expected(now, lately) == {"ten-quiet"}
    assert (
        marked
        == _expected(now, long_ago)
        == {
            "default-quiet",
            "zero-quiet",
            "ten-quiet",
            "sixty-quiet",
        }
    )
