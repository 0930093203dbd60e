"""After a device reconnects, the cloud asks again about every job it still thinks is under
way there; the device answers with its latest ack (it never runs a job id twice), so an
outcome whose ack was lost is learnt at once instead of at the job's TTL."""

from __future__ import annotations

from pathlib import Path

from cloud.settings import Settings
from protocols.jobs import AckState
from protocols.messages import JobRunBase
from tests.cloudkit import FakeDevice, running_cloud

from .test_cloud_bus import receipt_job, register


async def test_a_reconnecting_device_is_asked_again_about_its_jobs(
    tmp_path: Path, mosquitto_url: str, uid: str
) -> None:
    settings = Settings(
        data_dir=tmp_path, mqtt_url=mosquitto_url, demo=True, dispatch_interval_s=0.05
    )
    async with (
        running_cloud(settings) as (cloud, http),
        FakeDevice(mosquitto_url, f"k-{uid}") as dev,
    ):
        await register(cloud, dev)
        target = {"device_id": dev.device_id}
        accepted = (await http.post("/api/v1/jobs", json=receipt_job(target))).json()
        running = (await http.post("/api/v1/jobs", json=receipt_job(target))).json()
        finished = (await http.post("/api/v1/jobs", json=receipt_job(target))).json()
        for _ in range(3):
            await dev.next_command()
        async with cloud.hub.subscribe(f"job:{finished['id']}") as sub:
            await dev.ack(accepted["id"], AckState.ACCEPTED)
            await dev.ack(running["id"], AckState.RUNNING)
            await dev.ack(finished["id"], AckState.SUCCEEDED)
            assert await sub.wait_for(lambda v: v == "succeeded", 5) == "succeeded"

        await register(cloud, dev, bd_seq=2)  # a new session: reconnected after an outage
        asked = set()
        for _ in range(2):
            cmd = await dev.next_command()
            assert isinstance(cmd.body, JobRunBase) and cmd.body.attempt == 1
            asked.add(cmd.body.job_id)
        assert asked == {accepted["id"], running["id"]}  # not the finished one

        # the device finished the running one while its ack was lost: it says so again
        await dev.ack(running["id"], AckState.SUCCEEDED, result={"bytes": 7})
        r = await http.get(f"/api/v1/jobs/{running['id']}", params={"wait_s": 10})
        assert r.json()["state"] == "succeeded" and r.json()["result"] == {"bytes": 7}
        assert dev.commands.empty()


async def test_a_job_silent_for_too_long_is_asked_about_again(
    tmp_path: Path, mosquitto_url: str, uid: str
) -> None:
    """The device's final ack was lost (the cloud died right after the broker handed it
    over, say): the cloud asks again instead of leaving the job ``running`` for ever."""
    settings = Settings(
        data_dir=tmp_path,
        mqtt_url=mosquitto_url,
        demo=True,
        dispatch_interval_s=0.05,
        reconcile_after_s=0.3,
    )
    async with (
        running_cloud(settings) as (cloud, http),
        FakeDevice(mosquitto_url, f"k-{uid}") as dev,
    ):
        await register(cloud, dev)
        job = (
            await http.post("/api/v1/jobs", json=receipt_job({"device_id": dev.device_id}))
        ).json()
        first = await dev.next_command()
        async with cloud.hub.subscribe(f"job:{job['id']}") as sub:
            await dev.ack(job["id"], AckState.RUNNING)
            assert await sub.wait_for(lambda v: v == "running", 5) == "running"
        again = await dev.next_command()  # after reconcile_after_s of silence
        assert isinstance(again.body, JobRunBase) and again.body.job_id == job["id"]
        assert again.body.attempt == 1 and again.id != first.id
        await dev.ack(job["id"], AckState.SUCCEEDED, result={"bytes": 9})
        r = await http.get(f"/api/v1/jobs/{job['id']}", params={"wait_s": 10})
        assert r.json()["state"] == "succeeded"
