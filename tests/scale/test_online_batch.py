"""After a mass reconnect the dispatcher handles a run of ``DeviceOnline`` events with a few
queries (``Dispatcher.on_devices_online``), and ends exactly where the same devices handled
one at a time end: a job a device may still hold is sent again only if it was sent before
that device's own newest session began, a device offline again gets nothing, and a queued job
for a device now online is dispatched to it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select, update

from cloud.db import sites as site_repo
from cloud.db.models import Device, Job, utcnow
from cloud.settings import Settings
from cloud.wiring import Parts
from fleet.peripherals import PeripheralState
from tests.cloud.test_cloud_bus import receipt_job
from tests.cloudkit import RECEIPT_PRINTER, running_cloud

HHL = "qh/hx/golmud/hhl"
#: device suffix -> its job's outcome after the run: (state, sends, assigned device suffix)
Outcome = dict[str, tuple[str, int, str | None]]


async def _devices(cloud: Parts, prefix: str) -> None:
    async with cloud.sessions() as s:
        site = await site_repo.get_by_path(s, HHL)
        assert site is not None
        for name in ("a", "b", "late", "gone", "queued"):
            device = Device(id=prefix + name, site_id=site.id, role="kiosk", online=True, bd_seq=1)
            device.peripherals = [PeripheralState.announced(RECEIPT_PRINTER, "").to_json()]
            s.add(device)
        await s.commit()


async def _set_online(cloud: Parts, device_id: str, online: bool) -> None:
    async with cloud.sessions() as s:
        await s.execute(update(Device).where(Device.id == device_id).values(online=online))
        await s.commit()


async def _job(http: httpx.AsyncClient, device_id: str) -> str:
    r = await http.post("/api/v1/jobs", json=receipt_job({"device_id": device_id}))
    assert r.status_code in (200, 201, 202), r.text
    job_id: str = r.json()["id"]
    return job_id


async def _scene(cloud: Parts, http: httpx.AsyncClient, prefix: str) -> dict[str, datetime]:
    """Jobs of five devices, and when each device's newest session began."""
    await _devices(cloud, prefix)
    for name in ("a", "b", "gone"):
        await _job(http, prefix + name)  # dispatched at once: the device is online
    early = utcnow()  # "late" reconnected before its job was sent: nothing to ask again
    await _job(http, prefix + "late")
    await _set_online(cloud, prefix + "queued", False)
    await _job(http, prefix + "queued")  # queued: its device is offline
    await _set_online(cloud, prefix + "queued", True)
    await _set_online(cloud, prefix + "gone", False)  # went offline again meanwhile
    now = utcnow() + timedelta(milliseconds=1)
    since = {name: now for name in ("a", "b", "gone", "queued")} | {"late": early}
    return {prefix + name: at for name, at in since.items()}


async def _outcome(cloud: Parts, prefix: str) -> Outcome:
    async with cloud.sessions() as s:
        jobs = (await s.scalars(select(Job).where(Job.target_device_id.startswith(prefix)))).all()
    strip = len(prefix)
    return {
        (job.target_device_id or "")[strip:]: (
            job.state,
            job.sends,
            job.assigned_device_id[strip:] if job.assigned_device_id else None,
        )
        for job in jobs
    }


async def _handled(cloud: Parts, online: Mapping[str, datetime], together: bool) -> None:
    if together:
        await cloud.dispatcher.on_devices_online(online)
    else:
        for device_id, since in online.items():
            await cloud.dispatcher.on_devices_online({device_id: since})


async def test_a_run_of_devices_online_ends_where_one_by_one_ends(
    tmp_path: Path, uid: str, mosquitto_url: str
) -> None:
    # the dispatcher's own loop stays out of the way: nothing is overdue within the test
    settings = Settings(
        data_dir=tmp_path,
        mqtt_url=mosquitto_url,
        demo=True,
        ack_timeout_s=600,
        reconcile_after_s=600,
        dispatch_interval_s=600,
    )
    async with running_cloud(settings) as (cloud, http):
        run_since = await _scene(cloud, http, f"one{uid}-")
        alone_since = await _scene(cloud, http, f"two{uid}-")
        await _handled(cloud, {**run_since, f"one{uid}-ghost": utcnow()}, together=True)
        await _handled(cloud, {**alone_since, f"two{uid}-ghost": utcnow()}, together=False)
        run = await _outcome(cloud, f"one{uid}-")
        alone = await _outcome(cloud, f"two{uid}-")
    assert run == alone
    assert run == {
        "a": ("dispatched", 2, "a"),  # sent before its session: asked again
        "b": ("dispatched", 2, "b"),
        "late": ("dispatched", 1, "late"),  # sent within its session already
        "gone": ("dispatched", 1, "gone"),  # offline again: nothing sent
        "queued": ("dispatched", 1, "queued"),  # dispatched now that it is online
    }
