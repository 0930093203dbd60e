"""The MQTT side, on amqtt (3.1.1) and Mosquitto: presence, job flow, bad input, timers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.settings import Settings
from cloud.wiring import Parts
from protocols.envelope import MAX_PAYLOAD_BYTES, MsgType, Sender, encode
from protocols.jobs import AckState
from protocols.messages import (
    AckBody,
    EventBody,
    EventKind,
    Health,
    JobRunBase,
    PeripheralInfo,
)
from protocols.topics import DeviceChannel
from tests.cloudkit import FakeDevice, running_cloud

Env = tuple[Parts, httpx.AsyncClient]


def receipt_job(target: dict[str, str], **extra: Any) -> dict[str, Any]:
    lines = [{"type": "text", "text": "八一社区 A001"}, {"type": "qr", "data": "A001"}]
    return {"kind": "print_receipt", "target": target, "params": {"lines": lines}, **extra}


@pytest.fixture
async def env(tmp_path: Path, broker_url: str) -> AsyncIterator[Env]:
    settings = Settings(
        data_dir=tmp_path,
        mqtt_url=broker_url,
        demo=True,
        dispatch_interval_s=0.05,
        ack_timeout_s=30,
        retry_backoff_s=0,
    )
    async with running_cloud(settings) as pair:
        yield pair


async def register(cloud: Parts, device: FakeDevice, bd_seq: int | None = None) -> None:
    async with cloud.hub.subscribe(f"device:{device.device_id}") as sub:
        await device.birth(bd_seq)
        assert await sub.wait_for(lambda v: v == "online", 5) == "online"


async def device_json(http: httpx.AsyncClient, device_id: str) -> dict[str, Any]:
    r = await http.get(f"/api/v1/devices/{device_id}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_birth_registers_device_and_peripherals(env: Env, broker_url: str, uid: str) -> None:
    cloud, http = env
    printer = PeripheralInfo(
        id="rp1", kind="receipt_printer", model="TM-T88", capabilities=["receipt"]
    )
    async with FakeDevice(
        broker_url, f"kiosk-{uid}", site="qh/hx/golmud/bayi", peripherals=[printer]
    ) as dev:
        await register(cloud, dev)
    device = await device_json(http, dev.device_id)
    assert device["online"] is True and device["bd_seq"] == 1
    assert device["site"] == "qh/hx/golmud/bayi"
    assert device["role"] == "kiosk"
    assert device["versions"] == {"agent": "fake-0", "protocol": 1}
    [p] = device["peripherals"]
    assert (p["id"], p["kind"], p["model"], p["capabilities"], p["health"]) == (
        "rp1",
        "receipt_printer",
        "TM-T88",
        ["receipt"],
        "unknown",
    )


async def test_state_offline_and_late_will_of_old_session(
    env: Env, broker_url: str, uid: str
) -> None:
    cloud, http = env
    async with FakeDevice(broker_url, f"kiosk-{uid}") as dev:
        await register(cloud, dev, bd_seq=1)
        await register(cloud, dev, bd_seq=2)  # reconnected before the broker sent the will
        async with cloud.hub.subscribe("bus:ignored") as ignored:
            await dev.state(False, bd_seq=1)  # the late will of session 1
            assert await ignored.wait_for(lambda r: r == "stale_session", 5)
        device = await device_json(http, dev.device_id)
        assert device["online"] is True and device["bd_seq"] == 2

        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.state(False, bd_seq=2)
            assert await sub.wait_for(lambda v: v == "offline", 5)
        assert (await device_json(http, dev.device_id))["online"] is False
        # a redelivered retained birth of the ended session does not bring it back
        async with cloud.hub.subscribe("bus:ignored") as ignored:
            await dev.publish_raw(DeviceChannel.BIRTH, await _birth_payload(dev))
            assert await ignored.wait_for(lambda r: r == "birth_of_ended_session", 5)
        assert (await device_json(http, dev.device_id))["online"] is False
        await register(cloud, dev, bd_seq=3)
        assert (await device_json(http, dev.device_id))["online"] is True


async def test_a_birth_whose_will_came_first_does_not_bring_the_device_back(
    env: Env, broker_url: str, uid: str
) -> None:
    """After a cloud outage the broker hands over the retained state and birth of the
    device's last session in either order: a will first must keep the device offline."""
    cloud, http = env
    async with FakeDevice(broker_url, f"kiosk-{uid}") as dev:
        await register(cloud, dev, bd_seq=4)
        dev.bd_seq = 5  # session 5 started and ended while the cloud was away
        async with cloud.hub.subscribe("bus:ignored") as ignored:
            await dev.state(False, bd_seq=5)  # its will, retained, arrives first
            assert await ignored.wait_for(lambda r: r == "stale_session", 5)
        async with cloud.hub.subscribe("bus:ignored") as ignored:
            await dev.publish_raw(DeviceChannel.BIRTH, await _birth_payload(dev))
            assert await ignored.wait_for(lambda r: r == "birth_of_ended_session", 5)
        device = await device_json(http, dev.device_id)
        assert (device["online"], device["bd_seq"]) == (False, 5)
        await register(cloud, dev, bd_seq=6)  # it comes back: a new session
        assert (await device_json(http, dev.device_id))["online"] is True


async def _birth_payload(dev: FakeDevice) -> bytes:
    from protocols.envelope import MsgType, encode
    from protocols.messages import BirthBody, Role, Versions

    body = BirthBody(
        device_id=dev.device_id,
        role=Role.KIOSK,
        site=dev.site,
        bd_seq=dev.bd_seq,
        versions=Versions(agent="fake-0", protocol=1),
        peripherals=dev.peripherals,
    )
    return encode(dev.sender.envelope(MsgType.BIRTH, body))


async def test_job_flow_rest_to_device_to_succeeded(env: Env, broker_url: str, uid: str) -> None:
    cloud, http = env
    async with FakeDevice(broker_url, f"kiosk-{uid}") as dev:
        await register(cloud, dev)
        r = await http.post("/api/v1/jobs", json=receipt_job({"device_id": dev.device_id}))
        assert r.status_code == 201
        job = r.json()
        assert job["state"] == "dispatched" and job["attempts"] == 1

        cmd = await dev.next_command()
        assert isinstance(cmd.body, JobRunBase)
        assert cmd.body.job_id == job["id"] and cmd.body.attempt == 1
        assert cmd.body.kind == "print_receipt"
        assert cmd.body.params.model_dump(mode="json")["lines"][1] == {
            "type": "qr",
            "data": "A001",
            "size": 6,
            "align": "center",
        }
        assert cmd.corr is None and cmd.exp is not None and not cmd.expired()  # corr: acks only

        await dev.ack(job["id"], AckState.ACCEPTED)
        await dev.ack(job["id"], AckState.RUNNING)
        await dev.ack(job["id"], AckState.SUCCEEDED, result={"printed": 1})
        done = (await http.get(f"/api/v1/jobs/{job['id']}", params={"wait_s": 10})).json()
    assert done["state"] == "succeeded"
    assert done["result"] == {"printed": 1}
    events = (await http.get(f"/api/v1/jobs/{job['id']}/events")).json()
    assert [(e["to_state"], e["source"]) for e in events] == [
        ("queued", "api"),
        ("dispatched", "api"),
        ("accepted", "bus"),
        ("running", "bus"),
        ("succeeded", "bus"),
    ]


async def test_duplicate_and_out_of_order_acks_are_harmless(
    env: Env, broker_url: str, uid: str
) -> None:
    cloud, http = env
    async with FakeDevice(broker_url, f"kiosk-{uid}") as dev:
        await register(cloud, dev)
        job = (
            await http.post("/api/v1/jobs", json=receipt_job({"device_id": dev.device_id}))
        ).json()
        await dev.next_command()
        async with cloud.hub.subscribe("bus:ignored") as ignored:
            running = await dev.ack(job["id"], AckState.RUNNING)
            await dev.ack(job["id"], AckState.ACCEPTED)  # arrived late: older news
            assert await ignored.wait_for(lambda r: r == "stale_ack", 5)
            from protocols.envelope import encode

            await dev.publish_raw(DeviceChannel.ACK, encode(running))  # QoS1 redelivery
            assert await ignored.wait_for(lambda r: r == "duplicate_message", 5)
        await dev.ack(job["id"], AckState.SUCCEEDED)
        await dev.ack(job["id"], AckState.SUCCEEDED)
        await dev.ack(job["id"], AckState.FAILED, reason="printer_error")
        async with cloud.hub.subscribe("bus:handled") as handled:
            await dev.tele(cpu=0.5)  # same device → same handler queue → after the acks
            assert await handled.wait_for(lambda c: c == "tele", 5)
        done = (await http.get(f"/api/v1/jobs/{job['id']}")).json()
    assert done["state"] == "succeeded"
    states = [e["to_state"] for e in (await http.get(f"/api/v1/jobs/{job['id']}/events")).json()]
    assert states == ["queued", "dispatched", "running", "succeeded"]


BACKGROUND_REJECTIONS = frozenset({"unknown_device", "unknown_site", "unregistered_device"})


async def test_bad_messages_are_counted_and_the_worker_goes_on(
    env: Env, broker_url: str, uid: str
) -> None:
    cloud, http = env
    async with FakeDevice(broker_url, f"kiosk-{uid}") as dev:
        await register(cloud, dev)
        before = (await http.get("/api/v1/stats/bus")).json()["rejected"]
        async with cloud.hub.subscribe("bus:rejected") as rejected:
            await dev.publish_raw(DeviceChannel.EVT, b"{not json")
            await dev.publish_raw(DeviceChannel.EVT, b"x" * (MAX_PAYLOAD_BYTES + 1))
            await dev.publish_raw(DeviceChannel.ACK, b'{"v": 1, "type": "ack", "body": {}}')
            await dev.publish_raw(f"kf/v1/dev/{dev.device_id}/bogus", b"{}")
            await dev.publish_raw(f"kf/v1/dev/BAD-{uid}/evt", b"{}")
            # The shared broker also replays other tests' retained births/states, which this
            # fresh cloud rejects as unknown_device/unknown_site: those are not ours.
            seen = [
                await rejected.wait_for(lambda r: r not in BACKGROUND_REJECTIONS, 5)
                for _ in range(5)
            ]
        assert sorted(seen) == sorted(
            ["not_json", "too_large", "invalid", "bad_channel", "bad_device_id"]
        )
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.health("rp1", Health.OFFLINE, "cover open")
            assert await sub.wait_for(lambda v: v == "evt", 5)
        stats = (await http.get("/api/v1/stats/bus")).json()
        for reason in seen:
            assert stats["rejected"][reason] == before.get(reason, 0) + 1
        assert stats["connected"] is True
        device = await device_json(http, dev.device_id)
        assert device["peripherals"][0]["health"] == "offline"


async def test_a_device_speaking_on_another_devices_topics_is_refused(
    env: Env, broker_url: str, uid: str
) -> None:
    """An envelope whose ``src`` is not its topic's device is dropped (``src_mismatch``): one
    kiosk cannot finish another's job or degrade its printer by publishing on its topics."""
    cloud, http = env
    async with (
        FakeDevice(broker_url, f"kiosk-a-{uid}") as a,
        FakeDevice(broker_url, f"kiosk-b-{uid}") as b,
    ):
        await register(cloud, a)
        await register(cloud, b)
        job = (await http.post("/api/v1/jobs", json=receipt_job({"device_id": b.device_id}))).json()
        await b.next_command()
        forged_ack = a.sender.envelope(
            MsgType.ACK, AckBody(job_id=job["id"], state=AckState.SUCCEEDED, attempt=1)
        )
        forged_health = a.sender.envelope(
            MsgType.EVT,
            EventBody(kind=EventKind.PERIPHERAL_HEALTH, peripheral="rp1", health=Health.OFFLINE),
        )
        async with cloud.hub.subscribe("bus:rejected") as rejected:
            await a.publish_raw(b.topic(DeviceChannel.ACK), encode(forged_ack))
            await a.publish_raw(b.topic(DeviceChannel.EVT), encode(forged_health))
            for _ in range(2):
                assert await rejected.wait_for(lambda r: r == "src_mismatch", 5)
        async with cloud.hub.subscribe(f"device:{b.device_id}") as sub:
            await b.tele(cpu=0.5)  # same device → same handler queue → after the forgeries
            assert await sub.wait_for(lambda v: v == "tele", 5)
        assert (await http.get(f"/api/v1/jobs/{job['id']}")).json()["state"] == "dispatched"
        assert (await device_json(http, b.device_id))["peripherals"][0]["health"] == "ok"
        await b.ack(job["id"], AckState.SUCCEEDED)  # the device itself still can
        done = (await http.get(f"/api/v1/jobs/{job['id']}", params={"wait_s": 10})).json()
    assert done["state"] == "succeeded"
    assert (await http.get("/api/v1/stats/bus")).json()["rejected"]["src_mismatch"] == 2


async def test_job_for_offline_device_expires(env: Env, broker_url: str, uid: str) -> None:
    cloud, http = env
    async with FakeDevice(broker_url, f"kiosk-{uid}") as dev:
        await register(cloud, dev)
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.state(False)
            assert await sub.wait_for(lambda v: v == "offline", 5)
        r = await http.post("/api/v1/jobs", json=receipt_job({"device_id": dev.device_id}, ttl_s=1))
        job = r.json()
        assert job["state"] == "queued"
        done = (await http.get(f"/api/v1/jobs/{job['id']}", params={"wait_s": 10})).json()
    assert done["state"] == "expired"
    assert done["reason"] == "expired"
    assert "TTL of 1 s" in done["message"]


async def test_queued_job_is_dispatched_when_its_device_is_born(
    env: Env, broker_url: str, uid: str
) -> None:
    cloud, http = env
    async with FakeDevice(broker_url, f"kiosk-{uid}") as dev:
        await register(cloud, dev)
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.state(False)
            assert await sub.wait_for(lambda v: v == "offline", 5)
        job = (
            await http.post("/api/v1/jobs", json=receipt_job({"device_id": dev.device_id}))
        ).json()
        assert job["state"] == "queued"
        await dev.birth(bd_seq=2)
        cmd = await dev.next_command()
        assert cmd.body.job_id == job["id"]


async def test_unaccepted_job_is_resent_with_the_same_id(
    tmp_path: Path, broker_url: str, uid: str
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        mqtt_url=broker_url,
        demo=True,
        dispatch_interval_s=0.05,
        ack_timeout_s=0.2,
    )
    async with (
        running_cloud(settings) as (cloud, http),
        FakeDevice(broker_url, f"kiosk-{uid}") as dev,
    ):
        await register(cloud, dev)
        job = (
            await http.post("/api/v1/jobs", json=receipt_job({"device_id": dev.device_id}))
        ).json()
        first = await dev.next_command()
        second = await dev.next_command()
        # same job id, attempt and params; the upload grant for the receipt's proof is minted
        # afresh on each send (its expiry moves on), so it is compared apart
        unsent = {"params": {"uploads"}}
        assert first.body.model_dump(exclude=unsent) == second.body.model_dump(exclude=unsent)
        assert first.body.job_id == second.body.job_id and first.body.attempt == 1
        assert first.id != second.id  # a new message, so the broker does not drop it
        await dev.ack(job["id"], AckState.ACCEPTED)
        await dev.ack(job["id"], AckState.SUCCEEDED)
        done = (await http.get(f"/api/v1/jobs/{job['id']}", params={"wait_s": 10})).json()
        assert done["state"] == "succeeded" and done["attempts"] == 1


async def test_retryable_failure_is_retried(env: Env, broker_url: str, uid: str) -> None:
    cloud, http = env
    async with FakeDevice(broker_url, f"kiosk-{uid}") as dev:
        await register(cloud, dev)
        body = receipt_job({"device_id": dev.device_id}, max_attempts=2)
        job = (await http.post("/api/v1/jobs", json=body)).json()
        assert (await dev.next_command()).body.attempt == 1
        await dev.ack(job["id"], AckState.FAILED, reason="paper_out", message="no paper")
        retry = await dev.next_command()
        assert retry.body.job_id == job["id"] and retry.body.attempt == 2
        await dev.ack(job["id"], AckState.FAILED, reason="paper_out", attempt=2)
        done = (await http.get(f"/api/v1/jobs/{job['id']}", params={"wait_s": 10})).json()
    assert done["state"] == "failed" and done["reason"] == "paper_out"
    assert "gave up after 2 attempts" in done["message"]
    events = (await http.get(f"/api/v1/jobs/{job['id']}/events")).json()
    assert [e["to_state"] for e in events] == [
        "queued",
        "dispatched",
        "queued",
        "dispatched",
        "failed",
    ]


async def test_uncertain_waits_for_operator_then_reprint(
    env: Env, broker_url: str, uid: str
) -> None:
    cloud, http = env
    async with FakeDevice(broker_url, f"kiosk-{uid}") as dev:
        await register(cloud, dev)
        job = (
            await http.post("/api/v1/jobs", json=receipt_job({"device_id": dev.device_id}))
        ).json()
        await dev.next_command()
        await dev.ack(job["id"], AckState.RUNNING)
        await dev.ack(job["id"], AckState.UNCERTAIN, reason="agent_restarted")
        got = (await http.get(f"/api/v1/jobs/{job['id']}", params={"wait_s": 10})).json()
        assert got["state"] == "uncertain"
        r = await http.post(f"/api/v1/jobs/{job['id']}/resolve", json={"action": "reprint"})
        assert r.status_code == 200 and r.json()["state"] == "dispatched"
        again = await dev.next_command()
        assert again.body.job_id == job["id"] and again.body.attempt == 2
        r = await http.post(f"/api/v1/jobs/{job['id']}/resolve", json={"action": "done"})
        assert r.status_code == 409 and "not uncertain" in r.json()["message"]
        await dev.ack(job["id"], AckState.SUCCEEDED, attempt=2)
        done = (await http.get(f"/api/v1/jobs/{job['id']}", params={"wait_s": 10})).json()
    assert done["state"] == "succeeded"


async def test_site_target_routes_to_healthy_device_or_waits(
    env: Env, broker_url: str, uid: str
) -> None:
    cloud, http = env
    site = f"qh/hx/golmud/s{uid}"
    r = await http.post(
        "/api/v1/sites",
        json={"parent": "qh/hx/golmud", "code": f"s{uid}", "name": "测试点", "level": "village"},
    )
    assert r.status_code == 201
    nobody = await http.post("/api/v1/jobs", json=receipt_job({"site": site}))
    assert nobody.status_code == 409  # no device there could ever run it
    assert "capability receipt" in nobody.json()["message"] and site in nobody.json()["message"]
    weak = PeripheralInfo(
        id="rp1", kind="receipt_printer", capabilities=["receipt"], health=Health.DEGRADED
    )
    async with FakeDevice(broker_url, f"a-{uid}", site=site, peripherals=[weak]) as a:
        await register(cloud, a)
        async with cloud.hub.subscribe(f"device:{a.device_id}") as sub:
            await a.state(False)
            assert await sub.wait_for(lambda v: v == "offline", 5) == "offline"
        job = (await http.post("/api/v1/jobs", json=receipt_job({"site": site}))).json()
        assert job["state"] == "queued" and job["device_id"] is None  # nobody online yet
        async with cloud.hub.subscribe(f"device:{a.device_id}") as sub:
            await a.birth(bd_seq=2)
            assert await sub.wait_for(lambda v: v == "online", 5) == "online"
        assert (await a.next_command()).body.job_id == job["id"]  # the waiting job
        async with FakeDevice(broker_url, f"b-{uid}", site=site) as b:
            await register(cloud, b)
            second = (await http.post("/api/v1/jobs", json=receipt_job({"site": site}))).json()
            assert second["device_id"] == b.device_id  # healthy printer first
            assert (await b.next_command()).body.job_id == second["id"]
    listed = (await http.get("/api/v1/jobs", params={"site": site})).json()
    assert listed["total"] == 2
    assert {j["target"]["site"] for j in listed["items"]} == {site}


async def test_unknown_site_and_disabled_auto_registration(
    tmp_path: Path, broker_url: str, uid: str
) -> None:
    settings = Settings(
        data_dir=tmp_path, mqtt_url=broker_url, demo=True, auto_register_devices=False
    )
    async with running_cloud(settings) as (cloud, http):
        async with (
            FakeDevice(broker_url, f"x-{uid}") as dev,
            cloud.hub.subscribe("bus:rejected") as rejected,
        ):
            await dev.birth()
            assert await rejected.wait_for(lambda r: r == "unregistered_device", 5)
        async with (
            FakeDevice(broker_url, f"y-{uid}", site="qh/nowhere") as dev,
            cloud.hub.subscribe("bus:rejected") as rejected,
        ):
            await dev.birth()
            assert await rejected.wait_for(lambda r: r == "unknown_site", 5)
        assert (await http.get("/api/v1/devices")).json() == []


async def test_telemetry_is_stored_and_unknown_devices_are_asked_to_rebirth(
    env: Env, broker_url: str, uid: str
) -> None:
    from sqlalchemy import select

    from cloud.db.telemetry_points import TelePoint
    from protocols.messages import Rebirth

    cloud, _ = env
    async with FakeDevice(broker_url, f"kiosk-{uid}") as dev:
        async with cloud.hub.subscribe("bus:rejected") as rejected:
            await dev.tele(cpu=0.25)  # before any birth: unknown
            assert await rejected.wait_for(lambda r: r == "unknown_device", 5)
        assert isinstance((await dev.next_command()).body, Rebirth)
        await register(cloud, dev)
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.tele({"sys.cpu_pct": 0.5, "sys.disk_free_mb": 812.0})
            assert await sub.wait_for(lambda v: v == "tele", 5)
    assert await cloud.telemetry.flush(10), cloud.telemetry.stats()
    async with cloud.sessions() as s:
        stmt = select(TelePoint).where(TelePoint.device_id == dev.device_id)
        rows = (await s.scalars(stmt)).all()
    stored = sorted((m.name, m.value) for m in rows)
    assert stored == [("sys.cpu_pct", 0.5), ("sys.disk_free_mb", 812.0)]


async def test_input_events_are_stored_and_unmasked_id_data_is_rejected(
    env: Env, broker_url: str, uid: str
) -> None:
    cloud, http = env
    button = {"button": 1, "kind": "press"}
    masked = {"id_number": "6328**********0137", "name": "王*"}
    async with FakeDevice(broker_url, f"window-{uid}") as dev:
        await register(cloud, dev)
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.publish(
                DeviceChannel.EVT, EventBody(kind=EventKind.BUTTON, peripheral="cb", data=button)
            )
            await dev.publish(
                DeviceChannel.EVT,
                EventBody(kind=EventKind.IDCARD_READ, peripheral="idcard", data=masked),
            )
            for _ in range(2):
                assert await sub.wait_for(lambda v: v == "evt", 5)
        # a device that sends the raw card data is refused, as is any other invalid message
        env_ = Sender(dev.device_id).envelope(
            MsgType.EVT, EventBody(kind=EventKind.IDCARD_READ, peripheral="idcard", data=masked)
        )
        raw = json.loads(encode(env_))
        raw["body"]["data"] = {"id_number": "632801198805120137", "name": "王晓明"}
        async with cloud.hub.subscribe("bus:rejected") as rejected:
            await dev.publish_raw(DeviceChannel.EVT, json.dumps(raw).encode())
            assert await rejected.wait_for(lambda r: r not in BACKGROUND_REJECTIONS, 5) == "invalid"
    events = [(e["kind"], e["data"]) for e in (await device_json(http, dev.device_id))["events"]]
    assert ("button", button) in events and ("idcard_read", masked) in events
    assert "632801198805120137" not in json.dumps(events, ensure_ascii=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_env(
    request: pytest.FixtureRequest, tmp_path: Path, mosquitto_url: str, uid: str
) -> AsyncIterator[Env]:
    """A cloud on SQLite, or on a fresh PostgreSQL database dropped afterwards."""
    database_url = ""
    if request.param == "postgres":
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(request.getfixturevalue("postgres_url"))
        admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
        name = f"kf_{uid}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        request.addfinalizer(drop)
        database_url = url.set(database=name).render_as_string(hide_password=False)
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        mqtt_url=mosquitto_url,
        demo=True,
        ack_timeout_s=30,
    )
    async with running_cloud(settings) as pair:
        yield pair


async def test_acks_waiting_together_share_a_transaction_and_fail_alone(
    db_env: Env, mosquitto_url: str, uid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Group commit: a batch of acks is applied in order in one transaction; a duplicate, an
    unknown job or a failing message is counted on its own and the rest still commit."""
    cloud, http = db_env
    broker_url = mosquitto_url
    from cloud import acks as ack_module
    from cloud.acks import AckApplier
    from protocols.messages import AckBody

    ingest = cloud.ingest
    sender = Sender(src=f"test-{uid}")
    async with FakeDevice(broker_url, f"kiosk-{uid}") as dev:
        await register(cloud, dev)
        ids = []
        for _ in range(3):
            r = await http.post("/api/v1/jobs", json=receipt_job({"device_id": dev.device_id}))
            ids.append(r.json()["id"])
        a, b, c = ids

        def ack(job_id: str, state: AckState) -> tuple[str, Any]:
            body = AckBody(job_id=job_id, state=state, attempt=1)
            return dev.device_id, sender.envelope(MsgType.ACK, body, corr=job_id)

        first = ack(a, AckState.ACCEPTED)
        assert await ingest.handle_batch([first]) == []

        # record each transaction of acks: how many acks, and whether it committed
        groups: list[tuple[int, bool]] = []
        real_acks = AckApplier.apply

        async def recording(self: AckApplier, acks: Any) -> None:
            try:
                await real_acks(self, acks)
            except Exception:
                groups.append((len(acks), False))
                raise
            groups.append((len(acks), True))

        monkeypatch.setattr(AckApplier, "apply", recording)
        batch = [
            first,  # handled before: a duplicate
            ack(a, AckState.RUNNING),
            ack(a, AckState.SUCCEEDED),
            ack("no-such-job", AckState.ACCEPTED),
            ack(b, AckState.ACCEPTED),
            ack(b, AckState.ACCEPTED),  # stale
        ]
        before = cloud.stats.snapshot()
        assert await ingest.handle_batch(batch) == []
        after = cloud.stats.snapshot()
        # the duplicate fails the group's insert; the acks are then applied one by one (the
        # duplicate's own transaction fails again, and is counted as a duplicate)
        assert groups == [(6, False), (1, False)] + [(1, True)] * 5
        assert (
            after["ignored"]["duplicate_message"]
            == before["ignored"].get("duplicate_message", 0) + 1
        )
        assert after["ignored"]["stale_ack"] == before["ignored"].get("stale_ack", 0) + 1
        assert after["rejected"]["unknown_job"] == before["rejected"].get("unknown_job", 0) + 1
        assert after["handled"]["ack"] == before["handled"]["ack"] + len(batch)

        # without a duplicate the whole group is one transaction
        groups.clear()
        assert (
            await ingest.handle_batch([ack(b, AckState.RUNNING), ack(b, AckState.SUCCEEDED)]) == []
        )
        assert groups == [(2, True)]

        # a message that fails (here: a bug) is reported alone; the others still commit
        real = ack_module.decide_ack

        def broken(job: Any, *args: Any, **kwargs: Any) -> Any:
            if job is not None and job.id == c:
                raise RuntimeError("boom")
            return real(job, *args, **kwargs)

        monkeypatch.setattr(ack_module, "decide_ack", broken)
        failures = await ingest.handle_batch(
            [ack(a, AckState.SUCCEEDED), ack(c, AckState.ACCEPTED), ack(a, AckState.FAILED)]
        )
        assert [(i, str(err)) for i, err in failures] == [(1, "boom")]

    for job_id, states in [
        (a, ["queued", "dispatched", "accepted", "running", "succeeded"]),
        (b, ["queued", "dispatched", "accepted", "running", "succeeded"]),
        (c, ["queued", "dispatched"]),
    ]:
        events = (await http.get(f"/api/v1/jobs/{job_id}/events")).json()
        assert [e["to_state"] for e in events] == states
        job = (await http.get(f"/api/v1/jobs/{job_id}")).json()
        assert job["state"] == states[-1]
