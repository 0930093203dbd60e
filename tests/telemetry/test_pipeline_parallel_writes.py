"""A store that takes several writes at once (``parallel_writes``, as the InfluxDB v2 store
does) gets that many batches together; batches it refuses come back, and every point is
written once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from cloud.clocks import DeviceClocks
from cloud.telemetry.model import Point, StoreUnavailable
from cloud.telemetry.pipeline import TelemetryPipeline
from cloud.telemetry.validate import Limits
from tests.telemetry.kit import HHL
from tests.telemetry.test_pipeline_store_down import FAST, batch, running


class Recording:
    """Records what it took; refuses the first ``refuse`` writes; ``gate`` holds every write
    until it is set (``in_flight`` says how many wait)."""

    name = "recording"
    parallel_writes = 2

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.taken: list[list[float]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.gate = asyncio.Event()
        self.both = asyncio.Event()

    async def write(self, points: Sequence[Point]) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.in_flight == self.parallel_writes:
            self.both.set()
        try:
            await self.gate.wait()
            if self.refuse:
                self.refuse -= 1
                raise StoreUnavailable("recording: refused for the test")
            self.taken.append([p.value for p in points])
        finally:
            self.in_flight -= 1

    async def query(self, q: object) -> list[object]:
        raise AssertionError("not asked")

    async def close(self) -> None:
        pass


def pipeline_for(store: Recording) -> TelemetryPipeline:
    return TelemetryPipeline(
        store,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        DeviceClocks(2000),
        Limits(),
        batch_points=10,
        backoff=FAST,
    )


async def test_two_batches_are_written_at_once() -> None:
    store = Recording()
    pipeline = pipeline_for(store)
    pipeline.enqueue(pipeline.check("k1", "kiosk", HHL, batch(0, 30)).points)
    async with running(pipeline):
        async with asyncio.timeout(10):  # a writer of one batch at a time never gets here
            await store.both.wait()
        store.gate.set()
        assert await pipeline.flush(10), pipeline.stats()
    assert store.most_in_flight == 2
    assert [v for taken in store.taken for v in taken] == [float(v) for v in range(30)]


async def test_refused_batches_come_back_in_order_and_are_written_once() -> None:
    store = Recording(refuse=3)
    store.gate.set()
    pipeline = pipeline_for(store)
    pipeline.enqueue(pipeline.check("k1", "kiosk", HHL, batch(0, 45)).points)
    async with running(pipeline):
        assert await pipeline.flush(10), pipeline.stats()
    written = [v for taken in store.taken for v in taken]
    # each once, none lost (a batch written beside a refused one lands before it: a store
    # keeps points by their own time, not by arrival)
    assert sorted(written) == [float(v) for v in range(45)]
    stats = pipeline.stats()
    assert (stats["written_points"], stats["buffered_points"], stats["dropped_points"]) == (
        45,
        0,
        0,
    )
    assert stats["write_failures"] >= 1
