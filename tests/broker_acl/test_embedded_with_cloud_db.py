"""The demo's arrangement: the embedded amqtt broker asks the cloud's database (in process,
no HTTP) who a device is; revoking through :class:`HookedAccess` cuts the device off at once."""

from __future__ import annotations

from pathlib import Path

import aiomqtt
import pytest

from cloud.api.broker_auth import hook_directory
from cloud.broker_acl.hooked import HookedAccess
from kfleet.world.broker import EmbeddedBroker
from protocols.topics import DeviceChannel, device_topic, site_content_filter
from tests.broker_acl.clients import connect_refused, connected, next_message
from tests.broker_acl.hook_kit import (
    CLOUD_PASSWORD,
    CLOUD_USER,
    hook_cloud,
    hook_settings,
    make_device,
    revoke_in_db,
)

HALL, OTHER = "qh/hx/golmud/hhl", "qh/hx/golmud/tgls"
NOT_AUTHORIZED = 0x87


async def test_device_from_the_database_on_amqtt(tmp_path: Path) -> None:
    async with hook_cloud(hook_settings(tmp_path)) as cloud:
        await make_device(cloud.parts, "kiosk-a", HALL, "right")
        access = HookedAccess(hook_directory(cloud.app))
        broker = EmbeddedBroker(directory=access.directory)
        access.kickers.register(broker.kick)
        await broker.start()
        try:
            assert await connect_refused(broker, "kiosk-a", "wrong") == NOT_AUTHORIZED
            assert await connect_refused(broker, None, None) == NOT_AUTHORIZED
            async with connected(broker, CLOUD_USER, CLOUD_PASSWORD) as c:
                await c.subscribe("kf/v1/dev/+/+", qos=1)
                async with connected(broker, "kiosk-a", "right") as dev:
                    (own,) = await dev.subscribe(site_content_filter(HALL), qos=1)
                    (other,) = await dev.subscribe(site_content_filter(OTHER), qos=1)
                    await dev.publish(device_topic("kiosk-a", DeviceChannel.EVT), b"e", qos=1)
                    msg = await next_message(c)
                    await revoke_in_db(cloud.parts, "kiosk-a")
                    await access.disable_device("kiosk-a")
                    with pytest.raises(aiomqtt.MqttError):
                        await next_message(dev)  # kicked
            assert await connect_refused(broker, "kiosk-a", "right") == NOT_AUTHORIZED
        finally:
            await broker.stop()
    assert not own.is_failure and other.value == 0x80
    assert str(msg.topic) == device_topic("kiosk-a", DeviceChannel.EVT)
