"""The city queue simulator and our adapter pointed at it over loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from cloud.hall.city_queue import CityQueue
from cloud.hall.city_queue_config import CityEndpoint, CityQueueConfig
from cloud.hall.signals import HallSignals, TicketDone
from simulators.city_queue import CityQueueSim

SITE = "qh/hx/golmud/hhl"
#: our service codes → the city's business types
BUSINESS = {"household": "HJ", "pension": "SB"}


@dataclass
class DoneSink:
    done: list[TicketDone]

    async def on_ticket_done(self, done: TicketDone) -> None:
        self.done.append(done)


@asynccontextmanager
async def city(
    timeout_s: float = 2.0, api_key: str | None = None
) -> AsyncIterator[tuple[CityQueueSim, CityQueue, DoneSink]]:
    async with CityQueueSim() as sim:
        sink = DoneSink([])
        signals = HallSignals()
        signals.on_ticket_done(sink)
        config = CityQueueConfig(
            {SITE: CityEndpoint(sim.url, api_key or sim.api_key)}, dict(BUSINESS), timeout_s
        )
        adapter = CityQueue(config, signals)
        try:
            yield sim, adapter, sink
        finally:
            await adapter.aclose()
