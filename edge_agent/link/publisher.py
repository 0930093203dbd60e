"""The one task per session that drains the outbox to the broker, in order.

Messages are handed to the MQTT client in ``ord`` order (tasks start in creation order, and
each one's first step queues its PUBLISH packet), with up to ``max_inflight`` awaiting their
PUBACK at once so a slow uplink is not one round trip per message. A row is deleted only
after its own PUBACK. A failed publish ends the session; the next session starts again from
the oldest row left, so a message whose PUBACK was lost is sent twice (same envelope id: the
cloud drops the copy).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from edge_agent.link.outbox import Entry, Outbox

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

    def notify(self) -> None:
        """Something was stored: send it."""
        self.idle.clear()
        self._wake.set()

    async def run(self, send: Send) -> None:
        """Until cancelled or a publish fails (its error is raised, the rows stay)."""
        self.idle.clear()
        self._inflight = 0
        cursor = 0  # ord of the last message handed to ``send`` in this session
        async with asyncio.TaskGroup() as tg:
            while True:
                self._wake.clear()
                batch = self._outbox.after(cursor, self._max_inflight - self._inflight)
                for entry in batch:
                    cursor = entry.ord
                    self._inflight += 1
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
            self._wake.set()
