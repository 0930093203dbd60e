"""On each broker (Mosquitto + dynamic security, the embedded amqtt): a device publishes only
its own upstream topics and subscribes only to its own cmd and state; the cloud reads
upstream, sends cmd."""

from __future__ import annotations

import aiomqtt

from cloud.broker_acl.access import BrokerAccess
from protocols.topics import DeviceChannel, device_topic, upstream_filter
from tests.broker_acl.clients import connected, next_message
from tests.broker_acl.conftest import CLOUD_PASSWORD, CLOUD_USER, new_id
from tests.broker_acl.under_test import BrokerUnderTest

PW = "device-pass-1"


async def _two_devices(acl: BrokerAccess) -> tuple[str, str]:
    a, b = new_id(), new_id()
    await acl.add_device(a, PW)
    await acl.add_device(b, PW)
    return a, b


async def test_own_upstream_reaches_the_cloud(broker: BrokerUnderTest) -> None:
    a, _ = await _two_devices(broker.acl)
    channels = [DeviceChannel.BIRTH, DeviceChannel.ACK, DeviceChannel.EVT]
    async with connected(broker, CLOUD_USER, CLOUD_PASSWORD) as cloud:
        await cloud.subscribe(upstream_filter(), qos=1)
        async with connected(broker, a, PW) as dev:
            for ch in channels:
                await dev.publish(device_topic(a, ch), ch.value.encode(), qos=1)
            got = [str((await next_message(cloud)).topic) for _ in channels]
    assert got == [device_topic(a, ch) for ch in channels]


async def test_publish_on_another_devices_ack_is_dropped(broker: BrokerUnderTest) -> None:
    """MQTT 3.1.1: the broker silently drops it; the allowed ack sent after it arrives first."""
    a, b = await _two_devices(broker.acl)
    async with connected(broker, CLOUD_USER, CLOUD_PASSWORD) as cloud:
        await cloud.subscribe(upstream_filter(), qos=1)
        async with connected(broker, a, PW) as dev:
            await dev.publish(device_topic(b, DeviceChannel.ACK), b"forged", qos=1)
            await dev.publish(device_topic(b, DeviceChannel.EVT), b"forged", qos=1)
            await dev.publish(device_topic(a, DeviceChannel.ACK), b"own", qos=1)
            msg = await next_message(cloud)
    assert (str(msg.topic), msg.payload) == (device_topic(a, DeviceChannel.ACK), b"own")


async def test_device_cannot_publish_commands(broker: BrokerUnderTest) -> None:
    """A cmd forged by device A on B's topic never reaches B; the cloud's does."""
    a, b = await _two_devices(broker.acl)
    async with connected(broker, b, PW) as victim:
        await victim.subscribe(device_topic(b, DeviceChannel.CMD), qos=1)
        async with connected(broker, a, PW) as dev:
            await dev.publish(device_topic(b, DeviceChannel.CMD), b"forged", qos=1)
        async with connected(broker, CLOUD_USER, CLOUD_PASSWORD) as cloud:
            await cloud.publish(device_topic(b, DeviceChannel.CMD), b"real", qos=1)
        msg = await next_message(victim)
    assert msg.payload == b"real"


async def test_subscribe_only_to_own_cmd_and_state(broker: BrokerUnderTest) -> None:
    a, b = await _two_devices(broker.acl)
    async with connected(broker, a, PW) as dev:
        own = await dev.subscribe(device_topic(a, DeviceChannel.CMD), qos=1)
        own_state = await dev.subscribe(device_topic(a, DeviceChannel.STATE), qos=1)
        other = await dev.subscribe(device_topic(b, DeviceChannel.CMD), qos=1)
        wide = await dev.subscribe("kf/#", qos=1)
        upstream = await dev.subscribe(upstream_filter(), qos=1)
    assert [rc.is_failure for rc in (*own, *own_state)] == [False, False]
    assert [rc.value for rc in (*other, *wide, *upstream)] == [0x80, 0x80, 0x80]


async def test_cloud_cannot_subscribe_to_everything(broker: BrokerUnderTest) -> None:
    async with connected(broker, CLOUD_USER, CLOUD_PASSWORD) as cloud:
        (rc,) = await cloud.subscribe("#", qos=1)
    assert rc.value == 0x80
    assert isinstance(rc, aiomqtt.client.ReasonCode)
