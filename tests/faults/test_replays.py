"""A burst of duplicated and reordered messages from a device (``FakeDevice``: the wire
contract only) on real Mosquitto: the same envelope ids again and again, ``succeeded``
before ``accepted``/``running``, an old attempt's acks after the newer attempt's. The cloud
ends every job in the right state and counts nothing twice (REST, bus stats, its tables)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from cloud.db.telemetry_points import TelePoint
from cloud.wiring import Parts
from protocols.envelope import Envelope, encode, wall_ms
from protocols.jobs import AckState
from protocols.messages import EventBody, EventKind, TelemetryBody
from protocols.messages import Metric as MetricBody
from protocols.topics import DeviceChannel
from tests.cloudkit import FakeDevice
from tests.faults.conftest import CloudEnv
from tests.faults.ledger import bus_stats, device_online, job, submit, transitions
from tests.faults.procs import Mosquitto, eventually

COPIES = 3  # every message below is sent once and then replayed this many times


async def replay(dev: FakeDevice, env: Envelope[Any]) -> int:
    """Publish the very same envelope again (what an outbox does after a lost PUBACK)."""
    for _ in range(COPIES):
        await dev.publish_raw(DeviceChannel(env.type.value), encode(env))
    return COPIES


def marker(n: str) -> EventBody:
    return EventBody(kind=EventKind.MESSAGE_REJECTED, reason="fault-test", data={"n": n})


async def events_with(client: httpx.AsyncClient, dev: str, n: str) -> int:
    r = await client.get(f"/api/v1/devices/{dev}", params={"events": 500})
    assert r.status_code == 200, r.text
    return sum(1 for e in r.json()["events"] if e["data"].get("n") == n)


async def drained(client: httpx.AsyncClient, dev: FakeDevice, name: str) -> None:
    """Send a marker event and wait until the cloud stored it: one device's messages are
    handled in order, so everything sent before it has been handled too."""
    await dev.publish(DeviceChannel.EVT, marker(name))

    async def probe() -> bool | None:
        return True if await events_with(client, dev.device_id, name) else None

    await eventually(probe, 20, f"marker {name}")


async def metrics_named(cloud: Parts, dev: str, name: str) -> int:
    assert await cloud.telemetry.flush(30), cloud.telemetry.stats()
    async with cloud.sessions() as s:
        stmt = select(func.count()).where(TelePoint.device_id == dev, TelePoint.name == name)
        return int(await s.scalar(stmt) or 0)


async def test_duplicated_and_reordered_messages_count_once(
    broker: Mosquitto, cloud_env: CloudEnv, uid: str
) -> None:
    cloud, client = cloud_env
    async with FakeDevice(broker.url, f"kiosk-{uid}") as dev:
        await dev.birth()
        await device_online(client, dev.device_id)
        before = (await bus_stats(client))["ignored"]
        copies = 0

        # job A: succeeded overtakes accepted and running; every ack is replayed
        a = await submit(client, dev.device_id, f"a-{uid}")
        cmd = await dev.next_command()
        assert cmd.body.job_id == a["id"] and cmd.body.attempt == 1
        for state in (AckState.SUCCEEDED, AckState.ACCEPTED, AckState.RUNNING):
            copies += await replay(dev, await dev.ack(a["id"], state, result={"n": 1}))

        # job B: attempt 1 ends uncertain, the operator reprints (attempt 2), then attempt 1's
        # acks arrive late and out of order, again and again
        b = await submit(client, dev.device_id, f"b-{uid}")
        assert (await dev.next_command()).body.job_id == b["id"]
        late = [await dev.ack(b["id"], AckState.RUNNING)]
        late.append(await dev.ack(b["id"], AckState.UNCERTAIN, reason="connection_lost"))
        await drained(client, dev, f"b1-{uid}")
        assert (await job(client, b["id"]))["state"] == "uncertain"
        r = await client.post(f"/api/v1/jobs/{b['id']}/resolve", json={"action": "reprint"})
        assert r.status_code == 200, r.text
        retry = await dev.next_command()
        assert (retry.body.job_id, retry.body.attempt) == (b["id"], 2)
        copies += await replay(dev, await dev.ack(b["id"], AckState.SUCCEEDED, attempt=2))
        copies += await replay(dev, await dev.ack(b["id"], AckState.ACCEPTED, attempt=2))
        for env in late:
            copies += await replay(dev, env)
        # attempt 1 again under new ids (a device that resent its latest acks)
        await dev.ack(b["id"], AckState.FAILED, reason="paper_out")
        await dev.ack(b["id"], AckState.RUNNING)

        # an event and a telemetry batch, each replayed
        copies += await replay(dev, await dev.publish(DeviceChannel.EVT, marker(f"e-{uid}")))
        point = MetricBody(name=f"peripheral.m_{uid}", value=1, ts=wall_ms())
        tele = TelemetryBody(metrics=[point])
        copies += await replay(dev, await dev.publish(DeviceChannel.TELE, tele))
        await drained(client, dev, f"end-{uid}")

    done_a, done_b = await job(client, a["id"]), await job(client, b["id"])
    assert (done_a["state"], done_a["attempts"]) == ("succeeded", 1), done_a
    assert done_a["result"] == {"n": 1}
    assert (done_b["state"], done_b["attempts"]) == ("succeeded", 2), done_b
    assert await transitions(client, a["id"]) == ["queued", "dispatched", "succeeded"]
    assert await transitions(client, b["id"]) == [
        "queued",
        "dispatched",
        "running",
        "uncertain",
        "queued",
        "dispatched",
        "succeeded",
    ]
    assert await events_with(client, dev.device_id, f"e-{uid}") == 1
    assert await metrics_named(cloud, dev.device_id, f"peripheral.m_{uid}") == 1
    ignored = (await bus_stats(client))["ignored"]

    def delta(reason: str) -> int:
        return int(ignored.get(reason, 0)) - int(before.get(reason, 0))

    assert delta("duplicate_message") == copies
    # A: accepted and running after succeeded; B: attempt 2's accepted after its succeeded
    assert delta("stale_ack") == 3
    assert delta("old_attempt") == 2  # B: attempt 1's failed and running under new ids
