"""Site failover: a site job whose device went offline before confirming it moves to another
capable device of the site — a new attempt, so the old device's late word changes nothing —
while jobs a device confirmed, and jobs aimed at one device, stay where they are."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.clocks import MIN_SAMPLES
from cloud.settings import Settings
from cloud.wiring import Parts
from protocols.jobs import AckState
from protocols.messages import JobRunBase
from tests.cloudkit import FakeDevice, running_cloud

from .test_cloud_bus import device_json, receipt_job, register
from .test_cloud_clock import ShiftedSender

Env = tuple[Parts, httpx.AsyncClient]
GRACE_S, MARGIN_S = 0.5, 0.5


@pytest.fixture
async def env(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[Env]:
    settings = Settings(
        data_dir=tmp_path,
        mqtt_url=mosquitto_url,
        demo=True,
        dispatch_interval_s=0.05,
        ack_timeout_s=30,
        retry_backoff_s=0,
        failover_grace_s=GRACE_S,
        failover_margin_s=MARGIN_S,
    )
    async with running_cloud(settings) as pair:
        yield pair


async def _own_site(http: httpx.AsyncClient, uid: str) -> str:
    """A site of this test's own: no device of another test can be a candidate there."""
    body = {"parent": "qh/hx/golmud", "code": f"f{uid}", "name": "测试点", "level": "town"}
    r = await http.post("/api/v1/sites", json=body)
    assert r.status_code == 201, r.text
    return f"qh/hx/golmud/f{uid}"


async def _job(http: httpx.AsyncClient, job_id: str, wait_s: float = 0) -> dict[str, Any]:
    r = await http.get(f"/api/v1/jobs/{job_id}", params={"wait_s": wait_s} if wait_s else {})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def _rejected(http: httpx.AsyncClient) -> dict[str, int]:
    stats: dict[str, dict[str, int]] = (await http.get("/api/v1/stats/bus")).json()
    return stats["rejected"]


async def test_an_unconfirmed_site_job_moves_and_nothing_else_does(
    env: Env, mosquitto_url: str, uid: str
) -> None:
    cloud, http = env
    site = await _own_site(http, uid)
    async with (
        FakeDevice(mosquitto_url, f"a-{uid}", site) as first,
        FakeDevice(mosquitto_url, f"b-{uid}", site) as second,
    ):
        await register(cloud, first)
        site_target = {"site": site, "capability": "receipt"}
        unconfirmed = (await http.post("/api/v1/jobs", json=receipt_job(site_target))).json()
        confirmed = (await http.post("/api/v1/jobs", json=receipt_job(site_target))).json()
        pinned = (
            await http.post("/api/v1/jobs", json=receipt_job({"device_id": first.device_id}))
        ).json()
        sent = {}
        for _ in range(3):
            cmd = await first.next_command()
            assert isinstance(cmd.body, JobRunBase)
            sent[cmd.body.job_id] = cmd
        # a site job is movable: the envelope's exp is the delivery deadline, the job's own
        # deadline travels as run_by; a job for one device is not movable
        site_cmd = sent[unconfirmed["id"]]
        assert site_cmd.body.movable and site_cmd.body.run_by is not None
        assert site_cmd.exp is not None and site_cmd.exp - site_cmd.ts <= GRACE_S * 1000 + 50
        assert site_cmd.body.run_by > site_cmd.exp + 60_000
        assert not sent[pinned["id"]].body.movable

        async with cloud.hub.subscribe(f"job:{confirmed['id']}") as sub:
            await first.ack(confirmed["id"], AckState.ACCEPTED)
            assert await sub.wait_for(lambda v: v == "accepted", 30) == "accepted"
        async with cloud.hub.subscribe(f"device:{first.device_id}") as sub:
            await first.state(False)  # the kiosk loses its connection
            assert await sub.wait_for(lambda v: v == "offline", 30) == "offline"
        await register(cloud, second)

        moved = await second.next_command(timeout_s=30)  # after grace + margin
        assert isinstance(moved.body, JobRunBase)
        assert moved.body.job_id == unconfirmed["id"] and moved.body.attempt == 2
        await second.ack(unconfirmed["id"], AckState.ACCEPTED, attempt=2)
        await second.ack(unconfirmed["id"], AckState.SUCCEEDED, attempt=2)
        done = await _job(http, unconfirmed["id"], wait_s=10)
        assert done["state"] == "succeeded" and done["device_id"] == second.device_id

        # the first kiosk comes back and reports on its old attempt: ignored
        await first.ack(unconfirmed["id"], AckState.FAILED, reason="connection_lost")
        await first.ack(unconfirmed["id"], AckState.SUCCEEDED)
        events = (await http.get(f"/api/v1/jobs/{unconfirmed['id']}/events")).json()
        assert ("queued", "dispatcher", "failover") in {
            (e["to_state"], e["source"], e["reason"]) for e in events
        }
        await register(cloud, first, bd_seq=2)  # read after those acks: same device, in order
        assert (await _rejected(http)).get("ack_wrong_device", 0) == 2

        # what the first kiosk confirmed, and what was meant for it alone, stayed with it
        kept = await _job(http, confirmed["id"])
        assert kept["state"] == "accepted" and kept["device_id"] == first.device_id
        stay = await _job(http, pinned["id"])
        assert stay["state"] == "dispatched" and stay["device_id"] == first.device_id
        assert (await _job(http, unconfirmed["id"]))["state"] == "succeeded"
        assert (await device_json(http, first.device_id))["online"] is True
        assert second.commands.empty()  # nothing else moved to the second kiosk


async def test_a_slow_device_clock_gets_an_earlier_delivery_deadline(
    env: Env, mosquitto_url: str, uid: str
) -> None:
    """A kiosk whose clock is 5 minutes behind would otherwise accept a movable job for 5
    minutes past its deadline — long after the cloud may have moved it elsewhere."""
    cloud, http = env
    behind_ms = 5 * 60 * 1000
    site = await _own_site(http, uid)
    async with FakeDevice(mosquitto_url, f"slow-{uid}", site) as dev:
        dev.sender = ShiftedSender(src=dev.device_id, shift_ms=-behind_ms)
        await register(cloud, dev)
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            for _ in range(MIN_SAMPLES):
                await dev.tele(queue_len=1)
                assert await sub.wait_for(lambda v: v == "tele", 5) == "tele"
        offset = cloud.clocks.offset_ms(dev.device_id)
        assert offset is not None and behind_ms <= offset < behind_ms + 1000
        job = (
            await http.post(
                "/api/v1/jobs", json=receipt_job({"site": site, "capability": "receipt"})
            )
        ).json()
        cmd = await dev.next_command()
        assert isinstance(cmd.body, JobRunBase) and cmd.body.job_id == job["id"]
        assert cmd.exp is not None
        # on the device's own clock the deadline is still about the grace period away
        device_now = cmd.ts - offset
        assert 0 < cmd.exp - device_now <= GRACE_S * 1000 + 50


async def test_a_stranded_site_job_with_a_pending_cancel_ends_canceled(
    env: Env, mosquitto_url: str, uid: str
) -> None:
    """The device went offline without confirming: it can no longer run the job, so the
    requested cancel is done instead of moving the job to another device."""
    cloud, http = env
    site = await _own_site(http, uid)
    async with (
        FakeDevice(mosquitto_url, f"a-{uid}", site) as first,
        FakeDevice(mosquitto_url, f"b-{uid}", site) as second,
    ):
        await register(cloud, first)
        job = (await http.post("/api/v1/jobs", json=receipt_job({"site": site}))).json()
        await first.next_command()
        async with cloud.hub.subscribe(f"device:{first.device_id}") as sub:
            await first.state(False)
            assert await sub.wait_for(lambda v: v == "offline", 30) == "offline"
        assert (await http.post(f"/api/v1/jobs/{job['id']}/cancel")).status_code == 202
        await register(cloud, second)
        done = await _job(http, job["id"], wait_s=30)  # after grace + margin
        assert done["state"] == "canceled" and done["device_id"] == first.device_id
        assert second.commands.empty()  # never sent to the other device
