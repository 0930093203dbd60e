"""A device's outbox replays what the broker never acknowledged: the cloud applies it once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from cloud.db.models import DeviceEvent
from cloud.db.telemetry_points import TelePoint
from cloud.settings import Settings
from cloud.wiring import Parts
from protocols.envelope import encode, wall_ms
from protocols.messages import EventBody, EventKind, Health, TelemetryBody
from protocols.messages import Metric as MetricBody
from protocols.topics import DeviceChannel
from tests.cloudkit import FakeDevice, running_cloud

Env = tuple[Parts, httpx.AsyncClient]


@pytest.fixture
async def env(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[Env]:
    settings = Settings(data_dir=tmp_path, mqtt_url=mosquitto_url, demo=True)
    async with running_cloud(settings) as pair:
        yield pair


async def test_replayed_events_and_telemetry_are_applied_once(
    env: Env, mosquitto_url: str, uid: str
) -> None:
    cloud, _ = env
    async with FakeDevice(mosquitto_url, f"kiosk-{uid}") as dev:
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.birth()
            assert await sub.wait_for(lambda v: v == "online", 5)
        button = EventBody(
            kind=EventKind.BUTTON, peripheral="cb", data={"button": 2, "kind": "press"}
        )
        health = EventBody(
            kind=EventKind.PERIPHERAL_HEALTH, peripheral="rp1", health=Health.DEGRADED, reason="x"
        )
        tele = TelemetryBody(metrics=[MetricBody(name="sys.cpu_pct", value=0.5, ts=wall_ms())])
        before = cloud.stats.snapshot()["ignored"].get("duplicate_message", 0)
        async with cloud.hub.subscribe("bus:ignored") as ignored:
            sent = [
                await dev.publish(DeviceChannel.EVT, button),
                await dev.publish(DeviceChannel.EVT, health),
                await dev.publish(DeviceChannel.TELE, tele),
            ]
            for env_ in sent:  # the replay after a reconnect: the same envelopes again
                channel = DeviceChannel(env_.type.value)
                await dev.publish_raw(channel, encode(env_))
            for _ in sent:
                assert await ignored.wait_for(lambda r: r == "duplicate_message", 5)
        assert cloud.stats.snapshot()["ignored"]["duplicate_message"] == before + 3
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.tele({"sys.mem_pct": 1.0})  # a new message is still applied
            assert await sub.wait_for(lambda v: v == "tele", 5)
    async with cloud.sessions() as s:
        kinds = (
            await s.scalars(
                select(DeviceEvent.kind).where(
                    DeviceEvent.device_id == dev.device_id,
                    DeviceEvent.kind.in_(["button", "peripheral_health"]),
                )
            )
        ).all()
        assert await cloud.telemetry.flush(10), cloud.telemetry.stats()
        metrics = await s.scalar(
            select(func.count()).select_from(TelePoint).where(TelePoint.device_id == dev.device_id)
        )
    assert sorted(kinds) == ["button", "peripheral_health"]
    assert metrics == 2  # cpu once, mem once
