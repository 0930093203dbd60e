"""Simulated device traffic for the fault cases: numbered events and telemetry an agent sends
through its outbox, and how to count them where they arrive (the cloud's tables)."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select

from cloud.db.models import DeviceEvent
from cloud.db.telemetry_points import TelePoint
from cloud.wiring import Parts
from edge_agent.agent import Agent
from protocols.envelope import wall_ms
from protocols.messages import EventBody, EventKind, TelemetryBody
from protocols.messages import Metric as MetricBody
from protocols.topics import DeviceChannel

REASON = "fault-test"


def event(n: str) -> EventBody:
    """An event whose ``data.n`` names it (free-form data: ``message_rejected``)."""
    return EventBody(kind=EventKind.MESSAGE_REJECTED, reason=REASON, data={"n": n})


class Pause:
    """Stops a :func:`chatter` between two messages, and tells the test it has stopped.

    A broker acknowledges a QoS 1 PUBLISH before its next autosave: killed in between, it
    loses a message the device already let go (a broker property, tests/faults/README.md).
    A test that kills the broker holds the background traffic first and waits for the cloud
    to have what was sent; what is in flight then is only what the test chose to hold open.
    """

    def __init__(self) -> None:
        self.sent: list[str] = []
        """Names of the events stored in the outbox so far."""
        self._go = asyncio.Event()
        self._go.set()
        self._stopped = asyncio.Event()

    async def checkpoint(self) -> None:
        if not self._go.is_set():
            self._stopped.set()
            await self._go.wait()
            self._stopped.clear()

    async def hold(self, chatter_task: asyncio.Task[list[str]]) -> None:
        """Until the chatter waits at its next message (or has sent them all)."""
        self._go.clear()
        stopped = asyncio.create_task(self._stopped.wait())
        await asyncio.wait([stopped, chatter_task], return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()

    def release(self) -> None:
        self._go.set()


async def chatter(
    agent: Agent,
    prefix: str,
    count: int,
    *,
    halfway: asyncio.Event | None = None,
    pause: Pause | None = None,
) -> list[str]:
    """Send ``count`` events (and a telemetry batch every 10th) as fast as a busy kiosk would;
    returns the names of the events sent. Sets ``halfway`` after a third of them."""
    names: list[str] = pause.sent if pause is not None else []
    for i in range(count):
        if pause is not None:
            await pause.checkpoint()
        name = f"{prefix}-{i}"
        assert await agent.link.publish(DeviceChannel.EVT, event(name))
        names.append(name)
        if i % 10 == 0:
            metric = MetricBody(name=tele_name(prefix), value=i, ts=wall_ms())
            assert await agent.link.publish(DeviceChannel.TELE, TelemetryBody(metrics=[metric]))
        if halfway is not None and i == count // 3:
            halfway.set()
        await asyncio.sleep(0.005)  # the pace of the simulated traffic, not synchronisation
    return names


async def events_at_cloud(cloud: Parts, device_id: str) -> Counter[str]:
    """How many times each named test event was stored by the cloud."""
    return Counter(await event_order(cloud, device_id))


async def event_order(cloud: Parts, device_id: str) -> list[str]:
    """The names of the test events the cloud stored, in the order it stored them."""
    async with cloud.sessions() as s:
        rows = await s.scalars(
            select(DeviceEvent.data)
            .where(DeviceEvent.device_id == device_id, DeviceEvent.reason == REASON)
            .order_by(DeviceEvent.id)
        )
        return [str(data.get("n")) for data in rows]


def tele_name(prefix: str) -> str:
    """The test's metric: a driver counter's name (``protocols.telemetry``), so it is stored."""
    return f"peripheral.fault_{prefix}"


async def tele_at_cloud(
    cloud: Parts, device_id: str, prefix: str, *, distinct: int = 0
) -> Counter[float]:
    """How many times each telemetry value of ``prefix`` was stored by the cloud (after the
    telemetry writer wrote what it holds). ``distinct``: wait (up to 30 s) until that many
    values are stored — the agent sends telemetry after acks and events, so the last batches
    can still be on their way through the cloud's bus when everything else has arrived."""
    async with asyncio.timeout(30), cloud.hub.subscribe(f"device:{device_id}") as news:
        while True:
            assert await cloud.telemetry.flush(30), cloud.telemetry.stats()
            async with cloud.sessions() as s:
                rows = await s.scalars(
                    select(TelePoint.value).where(
                        TelePoint.device_id == device_id, TelePoint.name == tele_name(prefix)
                    )
                )
                found = Counter(rows)
            if len(found) >= distinct:
                return found
            await news.wait_for(lambda what: what == "tele", 1.0)  # the next batch came in
