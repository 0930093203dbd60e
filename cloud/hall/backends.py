"""Which queue serves a site: the city hall's system for the sites ``hall_city_queue`` names,
the built-in queue for every other. Callers (the kiosk, the console, the call button) ask
:meth:`QueueBackends.backend_for` on each act, so a site switches by configuration alone."""

from __future__ import annotations

from collections.abc import Callable

from cloud.errors import CloudError
from cloud.hall.backend import QueueBackend
from cloud.hall.city_queue import CityQueue


class QueueNotRunning(CloudError):
    status_code = 503
    code = "queue_not_running"


class QueueBackends:
    """``builtin`` is the built-in queue, or None to ask ``builtin_of`` on each act (the
    queue's own wiring builds it, in any order relative to this)."""

    def __init__(
        self,
        builtin: QueueBackend | None,
        city: CityQueue | None = None,
        builtin_of: Callable[[], QueueBackend | None] = lambda: None,
    ) -> None:
        self.builtin = builtin
        self.city = city
        self._builtin_of = builtin_of

    def uses_city(self, site: str) -> bool:
        return self.city is not None and self.city.handles(site)

    def backend_for(self, site: str) -> QueueBackend:
        if self.city is not None and self.city.handles(site):
            return self.city
        builtin = self.builtin or self._builtin_of()
        if builtin is None:
            raise QueueNotRunning(
                f"site {site} has no queue running in this cloud (the built-in queue is not "
                "configured); list the site in KFLEET_HALL_CITY_QUEUE or run the built-in queue"
            )
        return builtin

    async def aclose(self) -> None:
        if self.city is not None:
            await self.city.aclose()
