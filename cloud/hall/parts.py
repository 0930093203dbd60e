"""The hall's parts, built once per app (``cloud.wiring``) and run as one worker.

Each capability adds its service here and, if it has a background loop, its coroutine to
``workers``; :meth:`Hall.run` runs them all under one TaskGroup owned by the app's workers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from cloud.hall.content_service import ContentService
from cloud.hall.publisher import ContentPublisher
from cloud.hall.signals import HallSignals


@dataclass
class Hall:
    publisher: ContentPublisher
    signals: HallSignals = field(default_factory=HallSignals)
    #: floor plans, window information, staff (``cloud.hall.content_*``)
    content: ContentService | None = None
    #: background loops (the publisher's, the rating forwarder's, the follow-up reminder's…)
    workers: list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]] = field(default_factory=list)

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.publisher.run(), name="hall-publisher")
            for name, work in self.workers:
                tg.create_task(work(), name=f"hall-{name}")
