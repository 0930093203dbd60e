"""A cloud behind on its own queues judges no device silent (``cloud.wiring.listening_since``):
the quiet of a device whose messages wait in the cloud's queues is the cloud's, not the
device's. Found at 5,000 devices: after a mass reconnect the whole fleet was marked silent."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from cloud.db.models import utcnow
from cloud.wiring import listening_since


class _Bus:
    """What ``listening_since`` reads of the bus: when it subscribed, how much waits."""

    def __init__(self, connected_since: float | None, waiting: int) -> None:
        self.connected_since = connected_since
        self.waiting = waiting

    def queue_depth(self) -> int:
        return self.waiting


def _since(bus: _Bus, backlog: int) -> object:
    return listening_since(bus, backlog)  # type: ignore[arg-type]


async def test_listening_since_the_subscription_unless_disconnected_or_behind() -> None:
    ten_s_ago = asyncio.get_running_loop().time() - 10
    since = _since(_Bus(ten_s_ago, waiting=999), backlog=1000)
    assert isinstance(since, type(utcnow()))
    assert abs(since - (utcnow() - timedelta(seconds=10))) < timedelta(seconds=1)
    assert _since(_Bus(ten_s_ago, waiting=1000), backlog=1000) is None  # behind: deaf
    assert _since(_Bus(None, waiting=0), backlog=1000) is None  # not connected
