"""Through the real cloud and a FakeDevice: an ack for an attempt never sent is refused; a
cancel of a job the device may hold waits for the device's word; a site job no device of its
site could run is refused at submit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.settings import Settings
from cloud.wiring import Parts
from protocols.jobs import AckState
from tests.cloudkit import FakeDevice, running_cloud

Env = tuple[Parts, httpx.AsyncClient]


def receipt_job(target: dict[str, str]) -> dict[str, Any]:
    lines = [{"type": "text", "text": "取号 A001"}]
    return {"kind": "print_receipt", "target": target, "params": {"lines": lines}}


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[Env]:
    settings = Settings(
        data_dir=tmp_path, mqtt_url=amqtt_url, demo=True, dispatch_interval_s=0.05, ack_timeout_s=30
    )
    async with running_cloud(settings) as pair:
        yield pair


async def register(cloud: Parts, device: FakeDevice, bd_seq: int | None = None) -> None:
    async with cloud.hub.subscribe(f"device:{device.device_id}") as sub:
        await device.birth(bd_seq)
        assert await sub.wait_for(lambda v: v == "online", 5) == "online"


async def go_offline(cloud: Parts, device: FakeDevice) -> None:
    async with cloud.hub.subscribe(f"device:{device.device_id}") as sub:
        await device.state(False)
        assert await sub.wait_for(lambda v: v == "offline", 5) == "offline"


async def ack_and_wait(
    cloud: Parts, dev: FakeDevice, job_id: str, state: AckState, **kw: Any
) -> None:
    async with cloud.hub.subscribe("bus:handled") as handled:
        await dev.ack(job_id, state, **kw)
        assert await handled.wait_for(lambda v: v == "ack", 5) == "ack"


async def test_an_ack_for_an_attempt_never_sent_is_rejected(
    env: Env, amqtt_url: str, uid: str
) -> None:
    cloud, http = env
    async with FakeDevice(amqtt_url, f"k-{uid}") as dev:
        await register(cloud, dev)
        job = (
            await http.post("/api/v1/jobs", json=receipt_job({"device_id": dev.device_id}))
        ).json()
        assert (job["state"], job["attempts"]) == ("dispatched", 1)
        await dev.next_command()
        await ack_and_wait(cloud, dev, job["id"], AckState.SUCCEEDED, attempt=2)
        assert cloud.stats.rejected["future_attempt"] == 1
        assert (await http.get(f"/api/v1/jobs/{job['id']}")).json()["state"] == "dispatched"
        await ack_and_wait(cloud, dev, job["id"], AckState.SUCCEEDED, attempt=1)
        assert (await http.get(f"/api/v1/jobs/{job['id']}")).json()["state"] == "succeeded"
    stats = (await http.get("/api/v1/stats/bus")).json()
    assert stats["rejected"]["future_attempt"] == 1


async def test_a_queued_job_is_canceled_at_once(env: Env, amqtt_url: str, uid: str) -> None:
    cloud, http = env
    async with FakeDevice(amqtt_url, f"k-{uid}") as dev:
        await register(cloud, dev)
        await go_offline(cloud, dev)
        job = (
            await http.post("/api/v1/jobs", json=receipt_job({"device_id": dev.device_id}))
        ).json()
        assert job["state"] == "queued"
        r = await http.post(f"/api/v1/jobs/{job['id']}/cancel")
        assert r.status_code == 200
        assert r.json()["state"] == "canceled" and r.json()["cancel_requested_at"] is None


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (AckState.CANCELED, "canceled"),  # the device had not started: it confirms
        (AckState.RUNNING, "running"),  # too late: it is printing, the job goes on
        (AckState.SUCCEEDED, "succeeded"),  # it had printed already
    ],
)
async def test_a_cancel_of_an_accepted_job_ends_on_the_devices_answer(
    env: Env, amqtt_url: str, uid: str, answer: AckState, outcome: str
) -> None:
    cloud, http = env
    async with FakeDevice(amqtt_url, f"k-{uid}") as dev:
        await register(cloud, dev)
        job = (
            await http.post("/api/v1/jobs", json=receipt_job({"device_id": dev.device_id}))
        ).json()
        await dev.next_command()
        await ack_and_wait(cloud, dev, job["id"], AckState.ACCEPTED)
        r = await http.post(f"/api/v1/jobs/{job['id']}/cancel")
        assert r.status_code == 202, r.text
        pending = r.json()
        assert pending["state"] == "accepted" and pending["cancel_requested_at"]
        cmd = await dev.next_command()
        assert (cmd.body.op, cmd.body.job_id) == ("job.cancel", job["id"])
        # still accepted until the device answers: the cloud did not decide alone
        assert (await http.get(f"/api/v1/jobs/{job['id']}")).json()["state"] == "accepted"
        await ack_and_wait(
            cloud, dev, job["id"], answer, reason="canceled" if answer is AckState.CANCELED else ""
        )
        after = (await http.get(f"/api/v1/jobs/{job['id']}")).json()
        assert after["state"] == outcome
        assert after["cancel_requested_at"] == pending["cancel_requested_at"]
    events = (await http.get(f"/api/v1/jobs/{job['id']}/events")).json()
    assert [e["to_state"] for e in events] == ["queued", "dispatched", "accepted", outcome]


async def test_a_pending_cancel_is_sent_again_when_the_device_returns(
    env: Env, amqtt_url: str, uid: str
) -> None:
    """Reconciling after a reconnect asks for the cancel again, never runs the job."""
    cloud, http = env
    async with FakeDevice(amqtt_url, f"k-{uid}") as dev:
        await register(cloud, dev)
        job = (
            await http.post("/api/v1/jobs", json=receipt_job({"device_id": dev.device_id}))
        ).json()
        await dev.next_command()
        await go_offline(cloud, dev)
        assert (await http.post(f"/api/v1/jobs/{job['id']}/cancel")).status_code == 202
        await dev.next_command()  # the first cancel (the device may miss it while offline)
        await register(cloud, dev, bd_seq=2)
        cmd = await dev.next_command()
        assert (cmd.body.op, cmd.body.job_id) == ("job.cancel", job["id"])
        await ack_and_wait(cloud, dev, job["id"], AckState.CANCELED, reason="canceled")
        assert (await http.get(f"/api/v1/jobs/{job['id']}")).json()["state"] == "canceled"


async def test_a_site_job_no_device_of_the_site_could_run_is_refused(
    env: Env, amqtt_url: str, uid: str
) -> None:
    cloud, http = env
    site = "qh/hx/golmud/bayi"
    body = {"kind": "snapshot", "target": {"site": site}, "params": {}}
    r = await http.post("/api/v1/jobs", json=body)
    assert r.status_code == 409
    assert "capability snapshot" in r.json()["message"] and site in r.json()["message"]
    async with FakeDevice(amqtt_url, f"k-{uid}", site=site) as dev:  # a receipt printer only
        await register(cloud, dev)
        await go_offline(cloud, dev)
        r = await http.post("/api/v1/jobs", json=body)
        assert r.status_code == 409 and "capability snapshot" in r.json()["message"]
        # an offline device that has the capability is enough: the job waits for it
        r = await http.post("/api/v1/jobs", json=receipt_job({"site": site}))
        assert r.status_code == 201 and r.json()["state"] == "queued"
