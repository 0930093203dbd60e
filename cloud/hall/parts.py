"""The hall's parts, built once per app (``cloud.wiring``) and run as one worker.

Each capability adds its service here and, if it has a background loop, its coroutine to
``workers``; :meth:`Hall.run` runs them all under one TaskGroup owned by the app's workers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloud.hall.backend import QueueBackend
from cloud.hall.content_service import ContentService
from cloud.hall.haocha.forwarder import Forwarder
from cloud.hall.publisher import ContentPublisher
from cloud.hall.queue_desk import WindowDesk
from cloud.hall.queue_live import QueueLive
from cloud.hall.queue_service import BuiltinQueue
from cloud.hall.ratings_service import Ratings
from cloud.hall.signals import HallSignals

if TYPE_CHECKING:
    from cloud.hall.backends import QueueBackends
    from cloud.hall.kiosk_tickets import KioskTickets


@dataclass
class Hall:
    publisher: ContentPublisher
    signals: HallSignals = field(default_factory=HallSignals)
    #: floor plans, window information, staff (``cloud.hall.content_*``)
    content: ContentService | None = None
    #: background loops (the publisher's, the rating forwarder's, the follow-up reminder's…)
    workers: list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]] = field(default_factory=list)
    #: the built-in queue (``cloud.hall.queue_service``), its windows' desks and live state
    queue: BuiltinQueue | None = None
    desk: WindowDesk | None = None
    live: QueueLive | None = None
    #: 好差评: pad requests, ratings, follow-ups (cloud/hall/ratings_*.py)
    ratings: Ratings | None = None
    #: which queue serves each site (built-in or the city's system); kiosk tickets
    backends: QueueBackends | None = None
    kiosk_tickets: KioskTickets | None = None
    #: forwards ratings to the provincial 好差评 platform (docs/haocha.md)
    haocha: Forwarder | None = None

    def queue_for(self, site: str) -> QueueBackend:
        """The queue that serves ``site``: the city's system where configured, else ours."""
        if self.backends is not None:
            return self.backends.backend_for(site)
        if self.queue is None:
            from cloud.hall.backends import QueueNotRunning

            raise QueueNotRunning(f"site {site} has no queue running in this cloud")
        return self.queue

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.publisher.run(), name="hall-publisher")
            for name, work in self.workers:
                tg.create_task(work(), name=f"hall-{name}")
