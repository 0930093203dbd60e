"""The bounded queue between ingest and the store's writer.

Ingest only ever appends (never waits: a job's ack shares the bus with telemetry and must not
stand behind a slow store). The writer takes batches and, when the store refuses one, gives
it back to the front so nothing is reordered or lost while the store is down. The bound counts
every point held, in the queue or out with the writer; when it is full the oldest points are
dropped and counted (the newest say most about now).

The queue holds the runs of points as they were put (one per ingest batch, ~1000–60,000
points), not one entry per point: a point then costs the buffer a share of a list copy, not a
deque append and a ``popleft`` each (~2 % of the cloud's CPU at 50,000 points/s, issue 12).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence

from cloud.telemetry.model import Point


class PointBuffer:
    def __init__(self, max_points: int, batch_points: int = 5000) -> None:
        if max_points < 1:
            raise ValueError("a buffer holds at least one point")
        self.max_points = max_points
        #: a queue this long is a full write: :meth:`wait_batch` returns
        self.batch_points = max(1, batch_points)
        self._runs: deque[list[Point]] = deque()
        self._head = 0  # points of ``_runs[0]`` already taken or dropped
        self._queued = 0  # points in ``_runs`` not yet taken or dropped
        self._out = 0  # points taken by the writer and not yet written or given back
        self.dropped = 0
        self.peak = 0
        self._ready = asyncio.Event()
        self._batch = asyncio.Event()
        self._empty = asyncio.Event()
        self._empty.set()

    @property
    def held(self) -> int:
        """Points waiting or being written."""
        return self._queued + self._out

    @property
    def waiting(self) -> int:
        """Points waiting to be taken."""
        return self._queued

    def put(self, points: Sequence[Point]) -> int:
        """Append (a copy: the caller may reuse its list); returns how many older points
        were dropped to make room."""
        if not points:
            return 0
        self._runs.append(list(points))
        self._queued += len(points)
        dropped = self._trim()
        self.peak = max(self.peak, self.held)
        self._signal()
        self._empty.clear()
        return dropped

    def take(self, most: int) -> list[Point]:
        """Up to ``most`` of the oldest points, for one write; the caller then calls
        :meth:`done` or :meth:`give_back` with them."""
        batch: list[Point] = []
        need = min(most, self._queued)
        while need:
            run = self._runs[0]
            start = self._head
            if len(run) - start > need:
                batch += run[start : start + need]
                self._head += need
                break
            if start == 0 and not batch:
                batch = run  # a whole run: handed over, not copied
            else:
                batch += run[start:]
            self._runs.popleft()
            self._head = 0
            need -= len(run) - start
        self._queued -= len(batch)
        self._out += len(batch)
        self._signal()
        return batch

    def done(self, batch: Sequence[Point]) -> None:
        """The store took ``batch``."""
        self._out -= len(batch)
        self._settle()

    def give_back(self, batch: Sequence[Point]) -> None:
        """The store refused ``batch``: it goes back to the front, to be written first."""
        self._out -= len(batch)
        if batch:
            if self._head:  # the front run's taken part is not kept: cut it off first
                self._runs[0] = self._runs[0][self._head :]
                self._head = 0
            self._runs.appendleft(list(batch))
            self._queued += len(batch)
        self._trim()
        self._signal()
        self._settle()

    async def wait_ready(self) -> None:
        """Until a point waits."""
        await self._ready.wait()

    async def wait_batch(self) -> None:
        """Until a full write (``batch_points``) waits."""
        await self._batch.wait()

    async def wait_empty(self) -> None:
        """Until every point put so far is written (or dropped)."""
        await self._empty.wait()

    def _trim(self) -> int:
        """Drop the oldest waiting points beyond the bound; returns how many."""
        over = min(self.held - self.max_points, self._queued)
        if over <= 0:
            return 0
        left = over
        while left:
            run = self._runs[0]
            rest = len(run) - self._head
            if rest > left:
                self._head += left
                break
            self._runs.popleft()
            self._head = 0
            left -= rest
        self._queued -= over
        self.dropped += over
        return over

    def _signal(self) -> None:
        for event, on in (
            (self._ready, self._queued > 0),
            (self._batch, self._queued >= self.batch_points),
        ):
            if on:
                event.set()
            else:
                event.clear()

    def _settle(self) -> None:
        if self.held == 0:
            self._empty.set()
