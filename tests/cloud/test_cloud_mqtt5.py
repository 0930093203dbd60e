"""MQTT 5 and ``$share`` subscriptions on Mosquitto (amqtt speaks 3.1.1 only)."""

from __future__ import annotations

from pathlib import Path

from cloud.settings import Settings
from protocols.jobs import AckState
from tests.cloudkit import FakeDevice, running_cloud


async def test_cloud_over_mqtt5_with_shared_group(
    mosquitto_url: str, tmp_path: Path, uid: str
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        mqtt_url=f"{mosquitto_url}?v=5",
        mqtt_shared_group=f"kfleet-{uid}",
        demo=True,
    )
    async with (
        running_cloud(settings) as (cloud, http),
        FakeDevice(f"{mosquitto_url}?v=5", f"v5-{uid}") as dev,
    ):
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.birth()
            assert await sub.wait_for(lambda v: v == "online", 5)
        body = {
            "kind": "print_receipt",
            "target": {"device_id": dev.device_id},
            "params": {"lines": [{"type": "feed", "lines": 2}]},
        }
        job = (await http.post("/api/v1/jobs", json=body)).json()
        assert (await dev.next_command()).body.job_id == job["id"]
        await dev.ack(job["id"], AckState.SUCCEEDED)
        done = (await http.get(f"/api/v1/jobs/{job['id']}", params={"wait_s": 10})).json()
        assert done["state"] == "succeeded"
