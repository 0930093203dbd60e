"""Two Mosquittos bridged both ways on ``kf/#``: the smallest broker "cluster" there is.

A device whose old connection lingers on one node while it has reconnected to the other
gets its will fired by the first node *after* its new session began — the late will that
kfleet's presence rules exist for, fired by a real broker rather than published by a test.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiomqtt

from cloud.bus import NO_DELAY
from tests.faults.procs import Mosquitto


@asynccontextmanager
async def bridged_to(workdir: Path, node: Mosquitto, uid: str) -> AsyncIterator[Mosquitto]:
    """A second Mosquitto bridged to ``node`` (``topic kf/# both 1``), once messages cross
    the bridge in both directions."""
    with Mosquitto(workdir) as other:
        other.conf.write_text(
            other.conf.read_text() + f"connection node-{uid}\naddress 127.0.0.1:{node.port}\n"
            f"remote_clientid bridge-{uid}\ntopic kf/# both 1\n"
            "cleansession true\nnotifications false\nrestart_timeout 1\n"
        )
        await other.start()
        await _crossing(node.port, other.port, uid)
        await _crossing(other.port, node.port, uid)
        yield other


async def _crossing(from_port: int, to_port: int, uid: str) -> None:
    """Until a message published at ``from_port`` arrives at ``to_port`` (the bridge is
    connected and subscribed; nothing reports that, so publish again until one crosses)."""
    topic = f"kf/probe/{uid}/{from_port}"
    async with (
        aiomqtt.Client("127.0.0.1", to_port, socket_options=NO_DELAY) as sink,
        aiomqtt.Client("127.0.0.1", from_port, socket_options=NO_DELAY) as source,
    ):
        await sink.subscribe(topic, qos=1)

        async def first() -> None:
            async for _ in sink.messages:
                return

        arrived = asyncio.create_task(first())
        try:
            async with asyncio.timeout(30):
                while not arrived.done():
                    await source.publish(topic, b"probe", qos=1)
                    await asyncio.wait([arrived], timeout=0.2)
        finally:
            arrived.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await arrived
