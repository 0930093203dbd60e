"""A telemetry store that is down holds nothing else up: jobs are dispatched and their acks
applied while the points wait; when the store is back they are all written."""

from __future__ import annotations

import httpx

from cloud.wiring import Parts
from protocols.jobs import AckState
from tests.cloudkit import FakeDevice
from tests.faults.ledger import submit, wait_state
from tests.telemetry.kit import HHL, Switch
from tests.telemetry.test_ingest_e2e import online, stored


async def test_jobs_run_while_the_store_is_down_and_the_points_follow_later(
    tele_env: tuple[Parts, httpx.AsyncClient], mosquitto_url: str, uid: str
) -> None:
    cloud, client = tele_env
    switch = Switch(cloud.telemetry.store)
    cloud.telemetry.store = switch
    switch.down = True
    async with FakeDevice(mosquitto_url, f"k-{uid}", site=HHL) as dev:
        await online(cloud, dev)
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            for i in range(5):
                await dev.tele({"peripheral.pages": float(i)})
                assert await sub.wait_for(lambda v: v == "tele", 10)
        job = await submit(client, dev.device_id, f"j-{uid}")
        cmd = await dev.next_command(10)
        assert cmd.body.job_id == job["id"]
        await dev.ack(job["id"], AckState.SUCCEEDED)
        done = await wait_state(client, job["id"], {"succeeded"}, 30)
        assert done["state"] == "succeeded"
        stats = cloud.telemetry.stats()
        assert stats["store_down"] and stats["buffered_points"] == 5, stats
        assert switch.refused >= 1
        r = await client.get(
            "/api/v1/telemetry/series", params={"name": "peripheral.pages", "device": dev.device_id}
        )
        assert (r.status_code, r.json()["code"]) == (503, "store_unavailable")
        switch.down = False
    points = await stored(cloud, dev.device_id)  # flushes first
    assert sorted(p.value for p in points) == [0.0, 1.0, 2.0, 3.0, 4.0]
    r = await client.get(
        "/api/v1/telemetry/series",
        params={"name": "peripheral.pages", "device": dev.device_id, "agg": "count", "step": 3600},
    )
    assert r.status_code == 200, r.text
    [series] = r.json()["series"]
    assert sum(v for _, v in series["points"]) == 5
