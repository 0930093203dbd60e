"""The bounded queue between ingest and the store's writer.

Ingest only ever appends (never waits: a job's ack shares the bus with telemetry and must not
stand behind a slow store). The writer takes batches and, when the store refuses one, gives
it back to the front so nothing is reordered or lost while the store is down. The bound counts
every point held, in the queue or out with the writer; when it is full the oldest points are
dropped and counted (the newest say most about now).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence

from cloud.telemetry.model import Point


class PointBuffer:
    def __init__(self, max_points: int) -> None:
        if max_points < 1:
            raise ValueError("a buffer holds at least one point")
        self.max_points = max_points
        self._queue: deque[Point] = deque()
        self._out = 0  # points taken by the writer and not yet written or given back
        self.dropped = 0
        self.peak = 0
        self._ready = asyncio.Event()
        self._empty = asyncio.Event()
        self._empty.set()

    @property
    def held(self) -> int:
        """Points waiting or being written."""
        return len(self._queue) + self._out

    def put(self, points: Sequence[Point]) -> int:
        """Append; returns how many older points were dropped to make room."""
        if not points:
            return 0
        self._queue.extend(points)
        dropped = self._trim()
        self.peak = max(self.peak, self.held)
        self._ready.set()
        self._empty.clear()
        return dropped

    def take(self, most: int) -> list[Point]:
        """Up to ``most`` of the oldest points, for one write; the caller then calls
        :meth:`done` or :meth:`give_back` with them."""
        n = min(most, len(self._queue))
        batch = [self._queue.popleft() for _ in range(n)]
        self._out += n
        if not self._queue:
            self._ready.clear()
        return batch

    def done(self, batch: Sequence[Point]) -> None:
        """The store took ``batch``."""
        self._out -= len(batch)
        self._settle()

    def give_back(self, batch: Sequence[Point]) -> None:
        """The store refused ``batch``: it goes back to the front, to be written first."""
        self._out -= len(batch)
        self._queue.extendleft(reversed(batch))
        self._trim()
        if self._queue:
            self._ready.set()
        self._settle()

    async def wait_ready(self) -> None:
        await self._ready.wait()

    async def wait_empty(self) -> None:
        """Until every point put so far is written (or dropped)."""
        await self._empty.wait()

    def _trim(self) -> int:
        over = self.held - self.max_points
        if over <= 0:
            return 0
        over = min(over, len(self._queue))
        for _ in range(over):
            self._queue.popleft()
        self.dropped += over
        return over

    def _settle(self) -> None:
        if self.held == 0:
            self._empty.set()
