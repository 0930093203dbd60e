"""The telemetry loop: sample every ``sample_interval_s``, send a batch every
``tele_interval_s``, each batch through the durable outbox.

Every point carries the wall-clock time it was sampled, so batches stored during an outage
and sent after the reconnect fill the gap instead of landing "now". The loop keeps its
rhythm on the monotonic clock (a slow sample does not shift the next one, and a stepped wall
clock does not stop it). A sample that raises is counted (``errors``) and logged, and the
loop goes on: telemetry never stops the agent. A batch too large for one message (over 1000
points or :data:`MAX_BATCH_BYTES`) is split into several ``tele`` messages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from protocols.envelope import wall_ms
from protocols.messages import Metric, TelemetryBody

log = logging.getLogger(__name__)

#: points per ``tele`` message (the protocol allows 1000)
MAX_POINTS = 1000
#: encoded points per message, leaving room under the envelope's 64 KiB limit
MAX_BATCH_BYTES = 48 * 1024

Sample = Callable[[int], list[Metric]]  # wall ms → the points of one sample
Send = Callable[[TelemetryBody], Awaitable[object]]


def split(points: list[Metric]) -> list[TelemetryBody]:
    """``points`` as few ``tele`` bodies as fit the limits, in order."""
    bodies: list[TelemetryBody] = []
    chunk: list[Metric] = []
    size = 0
    for point in points:
        n = len(point.model_dump_json()) + 1
        if chunk and (len(chunk) >= MAX_POINTS or size + n > MAX_BATCH_BYTES):
            bodies.append(TelemetryBody(metrics=chunk))
            chunk, size = [], 0
        chunk.append(point)
        size += n
    if chunk:
        bodies.append(TelemetryBody(metrics=chunk))
    return bodies


class TeleBatcher:
    """``await run()`` until cancelled."""

    def __init__(
        self,
        sample: Sample,
        send: Send,
        *,
        send_interval_s: float,
        sample_interval_s: float | None = None,
    ) -> None:
        self._sample = sample
        self._send = send
        self.sample_interval_s = sample_interval_s or send_interval_s
        self.samples_per_batch = max(1, round(send_interval_s / self.sample_interval_s))
        self.errors = 0
        """Samples that raised (each also logged)."""
        self.batches = 0
        """Batches handed to the outbox so far."""
        self._pending: list[Metric] = []
        self._flushed = asyncio.Event()

    async def run(self) -> None:
        period = self.sample_interval_s
        due = time.monotonic() + period
        taken = 0
        while True:
            await asyncio.sleep(max(0.0, due - time.monotonic()))  # a period, not sync
            now = time.monotonic()
            due += period
            if due <= now:  # fell behind (a suspended machine): no burst of catch-up samples
                due = now + period
            self._take()
            taken += 1
            if taken >= self.samples_per_batch:
                taken = 0
                await self.flush()

    def _take(self) -> None:
        try:
            self._pending += self._sample(wall_ms())
        except Exception:  # a bug in one source must not stop telemetry
            self.errors += 1
            log.exception("telemetry: taking a sample failed; the loop goes on")

    async def flush(self) -> None:
        """Send what was sampled since the last batch (as one or more ``tele`` messages)."""
        points, self._pending = self._pending, []
        for body in split(points):
            await self._send(body)
        self.batches += 1
        self._flushed.set()

    async def wait_batches(self, count: int) -> None:
        """Until ``count`` batches have been handed to the outbox (for tests and tools)."""
        while self.batches < count:
            self._flushed.clear()
            await self._flushed.wait()
