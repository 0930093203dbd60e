"""The demo's paper cycle: one receipt printer goes near end, out, and is refilled, over and
over; stopping the demo leaves it refilled; a cycle naming no demo device is refused."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from kfleet.errors import KfleetError
from kfleet.world.demo import _paper_cycling
from kfleet.world.paper_cycle import PaperCycle, run_paper_cycle
from simulators.escpos_printer import Faults


class StepClock:
    """A ``sleep`` the test advances one phase at a time (no wall-clock waiting)."""

    def __init__(self) -> None:
        self.asked: asyncio.Queue[float] = asyncio.Queue()
        self.go: asyncio.Queue[None] = asyncio.Queue()

    async def sleep(self, seconds: float) -> None:
        await self.asked.put(seconds)
        await self.go.get()

    async def next_phase(self) -> float:
        """Wait until the cycle sleeps, end that sleep, and say how long it asked for."""
        seconds = await asyncio.wait_for(self.asked.get(), 5)
        return seconds


def paper(f: Faults) -> str:
    return "out" if f.paper_out else "near_end" if f.near_end else "ok"


async def test_the_printer_runs_out_and_is_refilled_again_and_again() -> None:
    faults, clock = Faults(), StepClock()
    cycle = PaperCycle("k1", ok_s=30, near_end_s=10, out_s=20)
    seen: list[str] = []
    faults.watch(lambda: seen.append(paper(faults)))
    task = asyncio.create_task(run_paper_cycle(faults, cycle, clock.sleep))
    phases = []
    for _ in range(6):  # two whole cycles
        phases.append((await clock.next_phase(), paper(faults)))
        clock.go.put_nowait(None)
    assert phases == [(30, "ok"), (10, "near_end"), (20, "out")] * 2
    await clock.next_phase()
    assert seen == ["near_end", "out", "near_end", "ok"] * 2  # refill clears out, then near end
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_stopping_the_demo_mid_outage_leaves_the_printer_refilled() -> None:
    faults, clock = Faults(), StepClock()
    task = asyncio.create_task(run_paper_cycle(faults, PaperCycle("k1"), clock.sleep))
    for _ in range(2):
        await clock.next_phase()
        clock.go.put_nowait(None)
    await clock.next_phase()  # now out of paper
    assert faults.paper_out and faults.near_end
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert not faults.paper_out and not faults.near_end


@pytest.mark.parametrize("field", ["ok_s", "near_end_s", "out_s"])
def test_a_phase_must_last(field: str) -> None:
    with pytest.raises(ValueError, match=f"PaperCycle.{field} must be > 0 s"):
        PaperCycle(**{field: 0})


async def test_a_cycle_for_a_device_the_demo_lacks_is_refused() -> None:
    with pytest.raises(KfleetError, match="'ghost', not a device of this demo"):
        async with _paper_cycling([], PaperCycle("ghost")):
            pass
