"""Mosquitto only (amqtt speaks MQTT 3.1.1 and has no shared subscriptions): the MQTT 5
PUBACK reason code of a refused publish, and the cloud's ``$share`` subscription."""

from __future__ import annotations

from cloud.broker_acl.dynsec import DynsecAccess
from protocols.topics import DeviceChannel, device_topic, upstream_filter
from tests.broker_acl.clients import connected, next_message
from tests.broker_acl.conftest import CLOUD_PASSWORD, CLOUD_USER, new_id
from tests.broker_acl.dynsec_broker import DynsecBroker
from tests.broker_acl.puback_v5 import puback_code

PW = "device-pass-1"
NOT_AUTHORIZED = 0x87


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


async def test_cloud_shared_subscription_allowed(
    acl: DynsecAccess, dynsec_broker: DynsecBroker
) -> None:
    a = new_id()
    await acl.add_device(a, PW)
    async with connected(dynsec_broker, CLOUD_USER, CLOUD_PASSWORD, v5=True) as cloud:
        (rc,) = await cloud.subscribe(upstream_filter("kf"), qos=1)
        assert not rc.is_failure
        async with connected(dynsec_broker, a, PW) as dev:
            await dev.publish(device_topic(a, DeviceChannel.TELE), b"t", qos=1)
            msg = await next_message(cloud)
    assert str(msg.topic) == device_topic(a, DeviceChannel.TELE)
