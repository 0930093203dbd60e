"""The one task per session that drains the outbox to the broker, acks and events first.

Acks and events are handed to the MQTT client in ``ord`` order (tasks start in creation
order, and each one's first step queues its PUBLISH packet), with up to ``max_inflight``
awaiting their PUBACK at once so a slow uplink is not one round trip per message.
Telemetry batches follow in their own ``ord`` order whenever no ack or event waits, using at
most half of those slots: after an outage, a day of telemetry replaying over a slow uplink
never holds back a job's ack (each point keeps its own timestamp, so the order between
telemetry and acks carries no meaning). A row is deleted only
after its own PUBACK. A failed publish ends the session; the next session starts again from
the oldest row left, so a message whose PUBACK was lost is sent twice (same envelope id: the
cloud drops the copy).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from edge_agent.link.outbox import Entry, Outbox
from protocols.topics import DeviceChannel

Send = Callable[[Entry], Awaitable[None]]


class Publisher:
    """Sends what the outbox holds; :meth:`notify` after every put."""

    def __init__(
        self,
        outbox: Outbox,
        max_inflight: int,
        *,
        on_delivered: Callable[[str], None] | None = None,
    ) -> None:
        self._outbox = outbox
        self._on_delivered = on_delivered
        self._max_inflight = max_inflight
        self._wake = asyncio.Event()
        self.idle = asyncio.Event()
        """Set while everything stored has been acknowledged (during a session)."""
        self.sent = 0
        self._inflight = 0
        self._tele_inflight = 0
        self._tele_max = max(1, max_inflight // 2)

    def notify(self) -> None:
        """Something was stored: send it."""
        self.idle.clear()
        self._wake.set()

    async def run(self, send: Send) -> None:
        """Until cancelled or a publish fails (its error is raised, the rows stay)."""
        self.idle.clear()
        self._inflight = self._tele_inflight = 0
        # ord of the last ack or event, and of the last telemetry batch, handed to ``send``
        cursors = {False: 0, True: 0}
        async with asyncio.TaskGroup() as tg:
            while True:
                self._wake.clear()
                free = self._max_inflight - self._inflight
                batch = self._outbox.after(cursors[False], free, tele=False)
                if not batch:
                    room = min(free, self._tele_max - self._tele_inflight)
                    batch = self._outbox.after(cursors[True], room, tele=True)
                for entry in batch:
                    tele = entry.channel is DeviceChannel.TELE
                    cursors[tele] = entry.ord
                    self._inflight += 1
                    self._tele_inflight += tele
                    tg.create_task(self._one(send, entry), name=f"publish-{entry.ord}")
                if batch:
                    continue
                if self._inflight:
                    self.idle.clear()
                else:
                    self.idle.set()
                await self._wake.wait()

    async def _one(self, send: Send, entry: Entry) -> None:
        try:
            await send(entry)
            self._outbox.ack(entry)
            self.sent += 1
            if self._on_delivered is not None:
                self._on_delivered(entry.msg_id)
        finally:
            self._inflight -= 1
            self._tele_inflight -= entry.channel is DeviceChannel.TELE
            self._wake.set()
