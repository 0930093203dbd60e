"""A cloud wired to a dynsec Mosquitto (``broker_acl=dynsec``), and enrolled fake devices."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiomqtt

from cloud.broker_acl.access import ClientExists
from cloud.broker_acl.dynsec import open_dynsec
from cloud.settings import Settings
from tests.broker_acl.dynsec_broker import ADMIN, DynsecBroker
from tests.cloudkit import FakeDevice
from tests.enrollment.kit import HHL, SECRET, Cloud, device_mqtt_url, enroll, mint

CLOUD_USER = "kf-cloud-enroll"
CLOUD_PASSWORD = "cloud-enroll-pass"
NOT_AUTHORIZED = 0x87
WAIT_S = 15.0


async def add_cloud_identity(broker: DynsecBroker) -> None:
    """The cloud's own broker identity (an operator's one-time setup, docs/broker-acl.md)."""
    b = broker
    async with open_dynsec(b.host, b.port, ADMIN, b.admin_password, shared_group="kf") as acl:
        await acl.ensure_roles()
        with contextlib.suppress(ClientExists):
            await acl.add_cloud_client(CLOUD_USER, CLOUD_PASSWORD)


def dynsec_settings(
    broker: DynsecBroker, data_dir: Path, database_url: str = "", **extra: Any
) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        mqtt_url=f"mqtt://{CLOUD_USER}:{CLOUD_PASSWORD}@{broker.host}:{broker.port}",
        mqtt_shared_group="kf",
        # clean: a persistent session of an earlier test's cloud would stay in the shared
        # group (the broker lives for the module) and take half of the messages
        mqtt_session="clean",
        secret_key=SECRET,
        broker_acl="dynsec",
        broker_admin_username=ADMIN,
        broker_admin_password=broker.admin_password,
        dispatch_interval_s=0.2,
        **extra,
    )


async def enrolled(cloud: Cloud, device_id: str, site: str = HHL) -> dict[str, Any]:
    """Enroll ``device_id`` through the API; the EnrollResponse as JSON."""
    r = await enroll(cloud, (await mint(cloud, site))["token"], device_id)
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


def device_for(answer: dict[str, Any], password: str | None = None) -> FakeDevice:
    mqtt = answer["mqtt"]
    url = device_mqtt_url(mqtt["url"], mqtt["username"], password or mqtt["password"])
    return FakeDevice(url, answer["device_id"], answer["site"])


@asynccontextmanager
async def online(cloud: Cloud, device: FakeDevice) -> AsyncIterator[FakeDevice]:
    """``device`` connected and shown online by the cloud; closed quietly even if the broker
    kicked it meanwhile."""
    await device.__aenter__()
    try:
        async with cloud.parts.hub.subscribe(f"device:{device.device_id}") as sub:
            await device.birth()
            seen = await sub.wait_for(lambda v: v == "online", WAIT_S)
            assert seen == "online", f"the cloud never showed {device.device_id} online"
        yield device
    finally:
        with contextlib.suppress(aiomqtt.MqttError, asyncio.CancelledError):
            await device.__aexit__(None, None, None)


async def kicked(device: FakeDevice) -> BaseException | None:
    """Wait for the broker to close ``device``'s connection; the reader's error."""
    reader = device._reader  # the fake's receive loop ends when it is kicked
    assert reader is not None
    async with asyncio.timeout(WAIT_S):
        await asyncio.wait({reader})
    return reader.exception() if not reader.cancelled() else None
