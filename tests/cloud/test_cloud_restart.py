"""A cloud restarted for maintenance loses nothing its devices sent meanwhile: its broker
session is persistent by default (a stable client id from host + data directory), so the
broker keeps the messages and the restarted cloud reads them."""

from __future__ import annotations

from pathlib import Path

from cloud.settings import Settings
from protocols.jobs import AckState
from protocols.messages import Health, JobRunBase
from tests.cloudkit import FakeDevice, running_cloud

from .test_cloud_bus import receipt_job, register


async def test_messages_sent_while_the_cloud_is_down_arrive_after_restart(
    tmp_path: Path, mosquitto_url: str, uid: str
) -> None:
    settings = Settings(
        data_dir=tmp_path, mqtt_url=mosquitto_url, demo=True, dispatch_interval_s=0.05
    )
    async with FakeDevice(mosquitto_url, f"k-{uid}") as dev:
        async with running_cloud(settings) as (cloud, http):
            first_id = cloud.bus.client_id()
            await register(cloud, dev)
            job = (
                await http.post("/api/v1/jobs", json=receipt_job({"device_id": dev.device_id}))
            ).json()
            cmd = await dev.next_command()
            assert isinstance(cmd.body, JobRunBase)
        # the cloud is down: the kiosk goes on printing and reporting
        await dev.ack(job["id"], AckState.ACCEPTED)
        await dev.ack(job["id"], AckState.RUNNING)
        await dev.ack(job["id"], AckState.SUCCEEDED, result={"bytes": 42})
        for n in range(5):
            await dev.health("rp1", Health.DEGRADED, f"paper low {n}")

        async with running_cloud(settings, seed=False) as (cloud, http):
            assert cloud.bus.client_id() == first_id  # same session, kept by the broker
            done = (await http.get(f"/api/v1/jobs/{job['id']}", params={"wait_s": 10})).json()
            assert done["state"] == "succeeded" and done["result"] == {"bytes": 42}

            async def reasons() -> list[str]:
                r = await http.get(f"/api/v1/devices/{dev.device_id}", params={"events": 200})
                return [e["reason"] for e in r.json()["events"]]

            async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
                await dev.health("rp1", Health.OK, "refilled")  # read after the queued ones
                while "refilled" not in (seen := await reasons()):
                    assert await sub.wait_for(lambda v: v == "evt", 10) == "evt"
    assert {f"paper low {n}" for n in range(5)} <= set(seen)
    assert seen.count("paper low 3") == 1


def test_the_session_id_is_stable_per_data_dir_and_can_be_clean(tmp_path: Path) -> None:
    from cloud.bus import Bus
    from cloud.stats import BusStats

    def bus(**kw: object) -> Bus:
        async def handler(batch: object) -> None:
            return None

        settings = Settings.model_validate({"data_dir": tmp_path, **kw})
        return Bus(settings, BusStats(None), handler)  # type: ignore[arg-type]

    assert bus().client_id() == bus().client_id()
    assert bus(data_dir=tmp_path / "other").client_id() != bus().client_id()
    assert bus(mqtt_client_id="cloud-a").client_id() == "cloud-a"
    assert bus(mqtt_session="clean").client_id() != bus(mqtt_session="clean").client_id()
