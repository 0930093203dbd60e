"""The content publisher: newest body per (site, kind) wins, never steps backwards, and a
broker away keeps the newest for when it returns."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from cloud.errors import BusUnavailable
from cloud.hall.publisher import ContentPublisher
from protocols.envelope import MsgType, Sender, decode
from protocols.hall import LiveBody
from protocols.topics import site_topic

SITE = "qh/hx/golmud/hhl"


class FakeBus:
    """Records retained publishes; ``down`` makes each publish fail like a lost broker."""

    def __init__(self) -> None:
        self.sender = Sender("cloud-test")
        self.sent: list[tuple[str, bytes, bool]] = []
        self.down = False
        self.attempted = asyncio.Event()

    async def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        self.attempted.set()
        if self.down:
            raise BusUnavailable("broker away")
        self.sent.append((topic, payload, retain))


def live(version: int) -> LiveBody:
    return LiveBody(site=SITE, version=version, published_at=datetime.now(UTC))


async def published(pub: ContentPublisher, version: int) -> None:
    async with asyncio.timeout(10):
        await pub.wait_published(SITE, "live", version)


async def test_publishes_retained_envelope_on_the_site_topic() -> None:
    bus = FakeBus()
    pub = ContentPublisher(bus)
    worker = asyncio.create_task(pub.run())
    try:
        assert pub.offer(live(3))
        await published(pub, 3)
    finally:
        worker.cancel()
    topic, payload, retain = bus.sent[-1]
    assert (topic, retain) == (site_topic(SITE, "live"), True)
    env = decode(payload, MsgType.CONTENT)
    assert isinstance(env.body, LiveBody) and env.body.version == 3


async def test_an_older_or_equal_version_is_dropped() -> None:
    pub = ContentPublisher(FakeBus())
    assert pub.offer(live(5))
    assert not pub.offer(live(5))
    assert not pub.offer(live(4))
    assert pub.offer(live(6))


async def test_broker_away_keeps_only_the_newest_and_sends_it_on_return() -> None:
    bus = FakeBus()
    bus.down = True
    pub = ContentPublisher(bus)
    worker = asyncio.create_task(pub.run())
    try:
        pub.offer(live(1))
        await bus.attempted.wait()
        for v in (2, 3, 4):
            pub.offer(live(v))
        bus.down = False
        await published(pub, 4)
    finally:
        worker.cancel()
    versions = [decode(p, MsgType.CONTENT).body.version for _, p, _ in bus.sent]
    assert versions[-1] == 4 and 2 not in versions and 3 not in versions
