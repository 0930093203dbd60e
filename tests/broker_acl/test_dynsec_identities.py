"""On a real Mosquitto with dynamic security: revoke, rotation, anonymous access, MQTT 5
reason codes, and precise errors from the admin API."""

from __future__ import annotations

import aiomqtt
import pytest

from cloud.broker_acl.access import ClientExists, ClientNotFound
from cloud.broker_acl.dynsec import DynsecAccess
from protocols.topics import DeviceChannel, device_topic
from tests.broker_acl.clients import connect_refused, connected, next_message
from tests.broker_acl.conftest import new_id
from tests.broker_acl.dynsec_broker import DynsecBroker
from tests.broker_acl.puback_v5 import puback_code

PW = "device-pass-1"
NOT_AUTHORIZED = 0x87


async def test_revoked_device_is_kicked_and_refused(
    acl: DynsecAccess, dynsec_broker: DynsecBroker
) -> None:
    a = new_id()
    await acl.add_device(a, PW)
    async with connected(dynsec_broker, a, PW) as dev:
        await dev.subscribe(device_topic(a, DeviceChannel.CMD), qos=1)
        await acl.disable_device(a)
        with pytest.raises(aiomqtt.MqttError):
            await next_message(dev)  # the broker closes the connection at once
    assert await connect_refused(dynsec_broker, a, PW) == NOT_AUTHORIZED
    await acl.enable_device(a)  # the refusal was the revoke, not something else
    async with connected(dynsec_broker, a, PW):
        pass


async def test_rotated_password_works_and_old_one_is_refused(
    acl: DynsecAccess, dynsec_broker: DynsecBroker
) -> None:
    a = new_id()
    await acl.add_device(a, PW)
    await acl.set_password(a, "device-pass-2")
    async with connected(dynsec_broker, a, "device-pass-2") as dev:
        await dev.publish(device_topic(a, DeviceChannel.STATE), b"on", qos=1)
    assert await connect_refused(dynsec_broker, a, PW) == NOT_AUTHORIZED


async def test_removed_device_is_refused(acl: DynsecAccess, dynsec_broker: DynsecBroker) -> None:
    a = new_id()
    await acl.add_device(a, PW)
    await acl.remove_device(a)
    assert await connect_refused(dynsec_broker, a, PW) == NOT_AUTHORIZED


async def test_anonymous_is_refused(acl: DynsecAccess, dynsec_broker: DynsecBroker) -> None:
    assert await connect_refused(dynsec_broker, None, None) == NOT_AUTHORIZED


async def test_mqtt5_puback_says_not_authorized(
    acl: DynsecAccess, dynsec_broker: DynsecBroker
) -> None:
    a, b = new_id(), new_id()
    await acl.add_device(a, PW)
    await acl.add_device(b, PW)
    own = await puback_code(dynsec_broker, a, PW, device_topic(a, DeviceChannel.ACK))
    assert own in (0x00, 0x10)  # success, or success with "no matching subscribers"
    forged = await puback_code(dynsec_broker, a, PW, device_topic(b, DeviceChannel.ACK))
    assert forged == NOT_AUTHORIZED


async def test_admin_errors_are_precise(acl: DynsecAccess) -> None:
    a = new_id()
    await acl.add_device(a, PW)
    with pytest.raises(ClientExists, match="createClient: Client already exists"):
        await acl.add_device(a, PW)
    with pytest.raises(ClientNotFound, match="setClientPassword: Client not found"):
        await acl.set_password(new_id(), PW)
    with pytest.raises(ClientNotFound, match="disableClient"):
        await acl.disable_device(new_id())
