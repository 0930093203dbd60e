"""In-process events from ingest to the dispatcher: typed, on a small bounded channel.

Ingest never calls the dispatcher: it says what happened (a device came online, a device we
do not know should announce itself again) and the dispatcher, which consumes the channel,
decides what to do. A full channel drops the event and counts it: every event is an
acceleration only (the dispatcher's periodic tick dispatches and resends anyway).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from protocols.messages import EventBody

log = logging.getLogger(__name__)

#: Events waiting at most; a reconnect storm of a whole county fits.
CHANNEL_SIZE = 4096


@dataclass(frozen=True, slots=True)
class DeviceOnline:
    """A device's session started at ``since``: commands sent before went to an older one."""

    device_id: str
    since: datetime


@dataclass(frozen=True, slots=True)
class RebirthWanted:
    """A device we have no birth of sent something: ask it to announce itself again."""

    device_id: str


FleetEvent = DeviceOnline | RebirthWanted


class EventChannel:
    """A bounded FIFO of :data:`FleetEvent`; publishing never blocks ingest."""

    def __init__(self, maxsize: int = CHANNEL_SIZE) -> None:
        self._queue: asyncio.Queue[FleetEvent] = asyncio.Queue(maxsize)
        self.dropped = 0

    def publish(self, event: FleetEvent) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            # a mass reconnect can overflow it thousands of times: log the first of a burst
            # and every 1000th, not each one (the count is in ``dropped``)
            if self.dropped % 1000 == 1:
                log.warning(
                    "event channel full: %s dropped (%d so far; the next tick catches up)",
                    event,
                    self.dropped,
                )

    async def next(self, timeout_s: float) -> FleetEvent | None:
        """The next event, or None if none came within ``timeout_s``."""
        try:
            async with asyncio.timeout(max(0.0, timeout_s)):
                return await self._queue.get()
        except TimeoutError:
            return None

    def depth(self) -> int:
        return self._queue.qsize()

    def drain(self) -> list[FleetEvent]:
        """Every event already waiting (without waiting)."""
        events = []
        while not self._queue.empty():
            events.append(self._queue.get_nowait())
        return events


@dataclass(frozen=True, slots=True)
class PeripheralEventIn:
    """A peripheral event (a button pressed, a rating given) just stored by ingest, once per
    message: the hall's queue and ratings act on it."""

    device_id: str
    msg_id: str
    body: EventBody
    #: when the cloud stored it
    at: datetime


class PeripheralEventSink(Protocol):
    async def on_peripheral_event(self, event: PeripheralEventIn) -> None: ...


class PeripheralEvents:
    """The sinks ingest hands each stored button / rating event to, in order.

    A sink that raises is logged and counted, never allowed to stop ingest or the sinks after
    it: the event is already stored, and a sink that failed can find it again in the events
    table."""

    def __init__(self) -> None:
        self._sinks: list[PeripheralEventSink] = []
        self.failures = 0

    def add(self, sink: PeripheralEventSink) -> None:
        self._sinks.append(sink)

    async def deliver(self, event: PeripheralEventIn) -> None:
        for sink in self._sinks:
            try:
                await sink.on_peripheral_event(event)
            except Exception:
                self.failures += 1
                log.exception(
                    "%s failed on %s event %s from %s",
                    type(sink).__name__,
                    event.body.kind.value,
                    event.msg_id,
                    event.device_id,
                )
