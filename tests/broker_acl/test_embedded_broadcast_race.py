"""A subscription made while amqtt is still deciding who receives a message (the topic check
is awaited per receiver) must not lose the message: amqtt 0.12 raised "dictionary changed
size during iteration" in its broadcast task and delivered it to nobody after that point."""

from __future__ import annotations

import asyncio

from cloud.broker_acl.memory import MemoryAccess
from cloud.broker_acl.rules import Identity
from kfleet.world.broker import EmbeddedBroker
from protocols.topics import upstream_filter
from tests.broker_acl.clients import connected, next_message


class _HeldDirectory(MemoryAccess):
    """Holds the cloud's *receive* check until released, so a subscription can land meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = False
        self.asked = asyncio.Event()
        self.release = asyncio.Event()

    async def identity(self, username: str) -> Identity | None:
        if self.hold and username == "cloud":
            self.asked.set()
            await self.release.wait()
        return await super().identity(username)


async def test_a_subscription_during_a_broadcast_loses_no_message() -> None:
    access = _HeldDirectory()
    await access.add_cloud_client("cloud", "cloud-secret")
    await access.add_device("k1", "k1-secret", "qh/hx/golmud/hhl")
    # anonymous clients are let in unchecked here, so a second filter can match the same topic
    broker = EmbeddedBroker(directory=access, allow_anonymous=True)
    await broker.start()
    try:
        async with (
            connected(broker, "cloud", "cloud-secret") as cloud,
            connected(broker, "k1", "k1-secret") as device,
            connected(broker, None, None) as monitor,
        ):
            (granted,) = await cloud.subscribe(upstream_filter(), qos=1)
            assert not granted.is_failure
            (granted,) = await monitor.subscribe("kf/v1/dev/k1/evt", qos=1)  # the table's 2nd
            assert not granted.is_failure
            access.hold = True
            # amqtt answers the PUBACK only after the broadcast: publish from a task
            first = asyncio.create_task(device.publish("kf/v1/dev/k1/evt", b"first", qos=1))
            await asyncio.wait_for(access.asked.wait(), 10)
            # the broadcast is inside its walk of the table: a new filter changes its size
            (granted,) = await device.subscribe("kf/v1/dev/k1/cmd", qos=1)
            assert not granted.is_failure
            access.hold = False
            access.release.set()
            await asyncio.wait_for(first, 10)
            got = await next_message(cloud)
            assert (str(got.topic), got.payload) == ("kf/v1/dev/k1/evt", b"first")
            # the filter after the one being walked when the table changed
            got = await next_message(monitor)
            assert (str(got.topic), got.payload) == ("kf/v1/dev/k1/evt", b"first")
            await device.publish("kf/v1/dev/k1/ack", b"second", qos=1)
            got = await next_message(cloud)
            assert (str(got.topic), got.payload) == ("kf/v1/dev/k1/ack", b"second")
    finally:
        await broker.stop()
