"""Builds the queue-backend choice and the kiosk ticket service into the hall
(called by :func:`cloud.wiring.build_hall`)."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.hall.backend import QueueBackend
from cloud.hall.backends import QueueBackends
from cloud.hall.city_queue import CityQueue
from cloud.hall.city_queue_config import CityQueueConfig
from cloud.hall.kiosk_tickets import KioskTickets
from cloud.hall.parts import Hall
from cloud.jobs import JobService
from cloud.settings import Settings


def add_kiosk_tickets(
    hall: Hall,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    jobs: JobService,
    builtin: QueueBackend | None = None,
) -> None:
    """``hall.backends`` (city sites from the settings; a mistake there stops the start with
    a ConfigError) and ``hall.kiosk_tickets``; the city client closes with the hall. Without
    ``builtin``, the built-in queue is ``hall.queue`` when an act needs it."""
    config = CityQueueConfig.from_settings(settings)
    city = CityQueue(config, hall.signals) if config.sites else None
    # the built-in queue is the queue's part (``hall.queue``), built by its own wiring
    backends = QueueBackends(builtin, city, builtin_of=lambda: hall.queue)
    hall.backends = backends
    hall.kiosk_tickets = KioskTickets(
        sessions,
        jobs,
        backends,
        settings.secret_key.get_secret_value(),
        settings.hall_phone_url or settings.base_url,
    )

    async def close_with_the_hall() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await backends.aclose()

    if city is not None:
        hall.workers.append(("city-queue", close_with_the_hall))
