"""Telemetry through the real broker into a running cloud: the cloud's tags on every point,
a replayed message stored once, bad input refused and counted (SQLite and PostgreSQL)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from cloud.db.telemetry_points import TelePoint
from cloud.wiring import Parts
from protocols.envelope import MsgType, encode, wall_ms
from protocols.messages import Metric, TelemetryBody
from protocols.topics import DeviceChannel
from tests.cloudkit import FakeDevice
from tests.faults.ledger import bus_stats
from tests.telemetry.kit import HHL

#: a value the test's raw JSON turns into the token NaN (our encoder never writes one)
NAN_MARK = 123456.789


async def stored(cloud: Parts, device_id: str) -> list[TelePoint]:
    assert await cloud.telemetry.flush(30), cloud.telemetry.stats()
    async with cloud.sessions() as s:
        rows = await s.scalars(
            select(TelePoint).where(TelePoint.device_id == device_id).order_by(TelePoint.name)
        )
        return list(rows.all())


async def online(cloud: Parts, dev: FakeDevice) -> None:
    async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
        await dev.birth()
        assert await sub.wait_for(lambda v: v == "online", 10) == "online"


async def test_points_carry_the_cloud_tags_and_a_replay_is_stored_and_counted_once(
    tele_env: tuple[Parts, httpx.AsyncClient], mosquitto_url: str, uid: str
) -> None:
    cloud, client = tele_env
    now = wall_ms()
    body = TelemetryBody(
        metrics=[
            Metric(name="sys.cpu_pct", value=12.5, ts=now),
            Metric(
                name="peripheral.paper",
                value=2,
                ts=now,
                tags={"peripheral": "receipt", "kind": "receipt_printer", "site": "qh/xn"},
            ),
            Metric(name="sys.temp_c", value=NAN_MARK, ts=now),  # NaN on the wire
            Metric(name="sys.disk_free_mb", value=-5, ts=now),
            Metric(name="sys.mem_pct", value=40, ts=now + 365 * 24 * 3600 * 1000),
            Metric(name="CPU load", value=1, ts=now),
        ]
    )
    async with FakeDevice(mosquitto_url, f"k-{uid}", site=HHL) as dev:
        await online(cloud, dev)
        env = dev.sender.envelope(MsgType.TELE, body)
        payload = encode(env).replace(str(NAN_MARK).encode(), b"NaN")
        async with cloud.hub.subscribe("bus:ignored") as ignored:
            async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
                await dev.publish_raw(DeviceChannel.TELE, payload)
                assert await sub.wait_for(lambda v: v == "tele", 10)
            await dev.publish_raw(DeviceChannel.TELE, payload)  # the outbox's replay
            assert await ignored.wait_for(lambda r: r == "duplicate_message", 10)
    points = await stored(cloud, dev.device_id)
    assert [(p.name, p.value, p.series_key, p.role, p.site) for p in points] == [
        ("peripheral.paper", 2.0, "kind=receipt_printer,peripheral=receipt", "kiosk", HHL),
        ("sys.cpu_pct", 12.5, "", "kiosk", HHL),
    ]
    r = await client.get("/api/v1/telemetry/stats")
    assert r.status_code == 200, r.text
    assert (r.json()["accepted_points"], r.json()["written_points"]) == (2, 2)
    bad = r.json()["bad_points"]
    assert bad == {
        "future": 1,
        "negative": 1,
        "non_finite": 1,
        "reserved_tag": 1,
        "bad_name": 1,
    }
    r = await client.get("/api/v1/telemetry/latest", params={"device": dev.device_id})
    assert r.status_code == 200, r.text
    assert sorted((v["name"], v["value"], v["site"]) for v in r.json()["values"]) == [
        ("peripheral.paper", 2.0, HHL),
        ("sys.cpu_pct", 12.5, HHL),
    ]


async def test_a_wrong_type_makes_the_message_invalid_and_nothing_is_stored(
    tele_env: tuple[Parts, httpx.AsyncClient], mosquitto_url: str, uid: str
) -> None:
    cloud, client = tele_env
    before = (await bus_stats(client))["rejected"].get("invalid", 0)
    async with FakeDevice(mosquitto_url, f"k-{uid}", site=HHL) as dev:
        await online(cloud, dev)
        body = TelemetryBody(metrics=[Metric(name="sys.cpu_pct", value=1.0, ts=wall_ms())])
        env = dev.sender.envelope(MsgType.TELE, body)
        payload = encode(env).replace(b'"value":1.0', b'"value":"abc"')
        assert payload != encode(env)
        async with cloud.hub.subscribe("bus:rejected") as rejected:
            await dev.publish_raw(DeviceChannel.TELE, payload)
            assert await rejected.wait_for(lambda r: r == "invalid", 10)
    assert (await bus_stats(client))["rejected"]["invalid"] == before + 1
    assert await stored(cloud, dev.device_id) == []
