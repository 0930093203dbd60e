"""On each broker (Mosquitto + dynamic security, the embedded amqtt): revoke, rotation,
anonymous access, and precise errors from the access backend."""

from __future__ import annotations

import aiomqtt
import pytest

from cloud.broker_acl.access import ClientExists, ClientNotFound
from protocols.topics import DeviceChannel, device_topic
from tests.broker_acl.clients import connect_refused, connected, next_message
from tests.broker_acl.conftest import new_id
from tests.broker_acl.under_test import BrokerUnderTest

PW = "device-pass-1"
NOT_AUTHORIZED = 0x87


async def test_revoked_device_is_kicked_and_refused(broker: BrokerUnderTest) -> None:
    a = new_id()
    await broker.acl.add_device(a, PW)
    async with connected(broker, a, PW) as dev:
        await dev.subscribe(device_topic(a, DeviceChannel.CMD), qos=1)
        await broker.acl.disable_device(a)
        with pytest.raises(aiomqtt.MqttError):
            await next_message(dev)  # the broker closes the connection at once
    assert await connect_refused(broker, a, PW) == NOT_AUTHORIZED
    await broker.acl.enable_device(a)  # the refusal was the revoke, not something else
    async with connected(broker, a, PW):
        pass


async def test_rotated_password_works_and_old_one_is_refused(broker: BrokerUnderTest) -> None:
    a = new_id()
    await broker.acl.add_device(a, PW)
    await broker.acl.set_password(a, "device-pass-2")
    async with connected(broker, a, "device-pass-2") as dev:
        await dev.publish(device_topic(a, DeviceChannel.STATE), b"on", qos=1)
    assert await connect_refused(broker, a, PW) == NOT_AUTHORIZED


async def test_removed_device_is_refused(broker: BrokerUnderTest) -> None:
    a = new_id()
    await broker.acl.add_device(a, PW)
    await broker.acl.remove_device(a)
    assert await connect_refused(broker, a, PW) == NOT_AUTHORIZED


async def test_anonymous_is_refused(broker: BrokerUnderTest) -> None:
    assert await connect_refused(broker, None, None) == NOT_AUTHORIZED


async def test_admin_errors_are_precise(broker: BrokerUnderTest) -> None:
    a = new_id()
    await broker.acl.add_device(a, PW)
    with pytest.raises(ClientExists, match="createClient: Client already exists"):
        await broker.acl.add_device(a, PW)
    with pytest.raises(ClientNotFound, match="setClientPassword: Client not found"):
        await broker.acl.set_password(new_id(), PW)
    with pytest.raises(ClientNotFound, match="disableClient"):
        await broker.acl.disable_device(new_id())
