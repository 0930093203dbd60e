"""On each broker: a device reads its own site's content (retained, published by the cloud)
and nothing of another site's, and cannot publish content itself."""

from __future__ import annotations

from protocols.topics import site_content_filter, site_topic
from tests.broker_acl.clients import connected, next_message
from tests.broker_acl.conftest import CLOUD_PASSWORD, CLOUD_USER, new_id
from tests.broker_acl.under_test import BrokerUnderTest

PW = "device-pass-1"


def new_hall() -> str:
    """A site path no other test uses (retained content outlives a test on Mosquitto)."""
    return f"qh/hx/{new_id().removeprefix('dev-')}/hhl"


async def test_device_reads_only_its_own_sites_content(broker: BrokerUnderTest) -> None:
    a, hall = new_id(), new_hall()
    other, below = f"{hall[:-3]}kl", f"{hall}/east"
    await broker.acl.add_device(a, PW, hall)
    async with connected(broker, CLOUD_USER, CLOUD_PASSWORD) as cloud:
        for site in (other, below, hall):  # its own last: the one that must arrive
            topic = site_topic(site, "floorplan")
            await cloud.publish(topic, site.encode(), qos=1, retain=True)
    async with connected(broker, a, PW) as dev:
        (own,) = await dev.subscribe(site_content_filter(hall), qos=1)
        refused = [
            (await dev.subscribe(flt, qos=1))[0].value
            for flt in (site_content_filter(other), f"kf/v1/site/{hall}/#", "kf/v1/site/#")
        ]
        msg = await next_message(dev)
    assert not own.is_failure and refused == [0x80, 0x80, 0x80]
    assert (str(msg.topic), msg.payload) == (site_topic(hall, "floorplan"), hall.encode())


async def test_device_cannot_publish_site_content(broker: BrokerUnderTest) -> None:
    """A forged floor plan from one device never reaches the other device of the site; the
    cloud's, sent after it, does."""
    a, b, hall = new_id(), new_id(), new_hall()
    await broker.acl.add_device(a, PW, hall)
    await broker.acl.add_device(b, PW, hall)
    topic = site_topic(hall, "windows")
    async with connected(broker, b, PW) as victim:
        await victim.subscribe(site_content_filter(hall), qos=1)
        async with connected(broker, a, PW) as dev:
            await dev.publish(topic, b"forged", qos=1)
        async with connected(broker, CLOUD_USER, CLOUD_PASSWORD) as cloud:
            await cloud.publish(topic, b"real", qos=1)
        msg = await next_message(victim)
    assert msg.payload == b"real"


async def test_device_enrolled_without_a_site_gets_no_content(broker: BrokerUnderTest) -> None:
    a = new_id()
    await broker.acl.add_device(a, PW)  # the old call: no site
    async with connected(broker, a, PW) as dev:
        (rc,) = await dev.subscribe(site_content_filter(new_hall()), qos=1)
    assert rc.value == 0x80
