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


class EachGated:
    """Every write waits for its own gate (``gates[i]`` for the i-th write); ``started``
    hands out each write's points as it starts."""

    name = "each-gated"
    parallel_writes = 2

    def __init__(self) -> None:
        self.gates: list[asyncio.Event] = [asyncio.Event() for _ in range(10)]
        self.started: asyncio.Queue[list[float]] = asyncio.Queue()
        self.calls = 0

    async def write(self, points: Sequence[Point]) -> None:
        gate = self.gates[self.calls]
        self.calls += 1
        self.started.put_nowait([p.value for p in points])
        await gate.wait()

    async def query(self, q: object) -> list[object]:
        raise AssertionError("not asked")

    async def close(self) -> None:
        pass


async def started(store: EachGated) -> list[float]:
    async with asyncio.timeout(10):
        return await store.started.get()


async def test_a_slot_is_refilled_while_the_other_write_is_still_out() -> None:
    store = EachGated()
    pipeline = pipeline_for(store)  # type: ignore[arg-type]
    pipeline.enqueue(pipeline.check("k1", "kiosk", HHL, batch(0, 40)).points)
    async with running(pipeline):
        first, second = await started(store), await started(store)
        assert (first, second) == ([float(v) for v in range(10)], [float(v) for v in range(10, 20)])
        store.gates[1].set()  # the second ends, the first is still out
        assert await started(store) == [float(v) for v in range(20, 30)]
        for gate in store.gates:
            gate.set()
        assert await pipeline.flush(10), pipeline.stats()
    assert pipeline.stats()["written_points"] == 40


async def test_a_second_write_starts_only_for_a_full_batch() -> None:
    store = EachGated()
    pipeline = pipeline_for(store)  # type: ignore[arg-type]
    async with running(pipeline):
        pipeline.enqueue(pipeline.check("k1", "kiosk", HHL, batch(0, 4)).points)
        assert await started(store) == [0.0, 1.0, 2.0, 3.0]  # alone: whatever waits
        pipeline.enqueue(pipeline.check("k1", "kiosk", HHL, batch(4, 3)).points)
        for _ in range(20):  # no wait for an event: a right writer does nothing here, and a
            await asyncio.sleep(0)  # wrong one gets its turns to start a write of these 3
        pipeline.enqueue(pipeline.check("k1", "kiosk", HHL, batch(7, 8)).points)
        # the 3 points did not make a write of their own beside the first: 10 did
        assert await started(store) == [float(v) for v in range(4, 14)]
        store.gates[0].set()
        store.gates[1].set()
        assert await started(store) == [14.0]  # nothing out: whatever waits
        for gate in store.gates:
            gate.set()
        assert await pipeline.flush(10), pipeline.stats()


async def test_stopping_the_writer_gives_the_batches_in_flight_back() -> None:
    store = EachGated()
    pipeline = pipeline_for(store)  # type: ignore[arg-type]
    pipeline.enqueue(pipeline.check("k1", "kiosk", HHL, batch(0, 25)).points)
    async with running(pipeline):
        await started(store)
        await started(store)
        assert pipeline.buffer.waiting == 5
    assert (pipeline.buffer.waiting, pipeline.buffer.held) == (25, 25)
    assert [p.value for p in pipeline.buffer.take(100)] == [float(v) for v in range(25)]
