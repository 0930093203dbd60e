"""The demo's receipt printer that runs out of paper now and then, and is refilled.

So that ``kfleet demo`` shows what operators watch for — the paper chart dropping to "near end"
then "out", the site overview counting a printer out of paper, a paper alert opening and then
resolving — one simulated printer cycles: paper fine, nearly used up, out, refilled. The
simulator's fault switches drive it; the agent sees it exactly as it would a real printer
(status bytes and ASB), so nothing in the path is faked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from simulators.escpos_printer import Faults

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaperCycle:
    """Which device's receipt printer cycles, and how long each phase lasts (seconds)."""

    device_id: str = "tgls-kiosk-01"  # 唐古拉山镇: far from a technician, as in issue 12
    ok_s: float = 300.0
    near_end_s: float = 120.0
    out_s: float = 180.0

    def __post_init__(self) -> None:
        for name in ("ok_s", "near_end_s", "out_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"PaperCycle.{name} must be > 0 s, not {getattr(self, name)}")


async def run_paper_cycle(
    faults: Faults,
    cycle: PaperCycle,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Cycle ``faults`` until cancelled: ok → near end → out → refilled (ok). Cancelling
    leaves the printer refilled, so a stopped demo never strands a printer without paper."""
    try:
        while True:
            await sleep(cycle.ok_s)
            faults.near_end = True
            log.info("demo: %s's receipt roll is nearly used up", cycle.device_id)
            await sleep(cycle.near_end_s)
            faults.paper_out = True
            log.info("demo: %s's receipt printer is out of paper", cycle.device_id)
            await sleep(cycle.out_s)
            _refill(faults)
            log.info("demo: %s's receipt printer was refilled", cycle.device_id)
    finally:
        _refill(faults)


def _refill(faults: Faults) -> None:
    if faults.paper_out:
        faults.paper_out = False
    if faults.near_end:
        faults.near_end = False
