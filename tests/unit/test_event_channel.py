"""cloud.events: the bounded channel from ingest to the dispatcher never blocks ingest."""

from __future__ import annotations

from datetime import UTC, datetime

from cloud.events import DeviceOnline, EventChannel, RebirthWanted

T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def test_events_come_out_in_order_and_a_full_channel_drops() -> None:
    channel = EventChannel(maxsize=2)
    channel.publish(DeviceOnline("k1", T0))
    channel.publish(RebirthWanted("k2"))
    channel.publish(DeviceOnline("k3", T0))  # full: dropped and counted, never blocks
    assert channel.dropped == 1
    assert await channel.next(1.0) == DeviceOnline("k1", T0)
    assert channel.drain() == [RebirthWanted("k2")]
    assert channel.drain() == []


async def test_next_returns_none_when_nothing_comes() -> None:
    channel = EventChannel()
    assert await channel.next(0.01) is None
    assert await channel.next(-1.0) is None  # a tick already due: no wait at all
