"""The city hall's existing queue system (市级大厅排队叫号系统) behind our :class:`QueueBackend`.

A site listed in ``hall_city_queue`` keeps its city system: the kiosk, the console and the call
button act through this adapter and the city system numbers, orders and calls the tickets.
Our service codes become its business types through ``hall_city_queue_business``; its statuses
become our :class:`~protocols.hall.TicketState`. Ticket ids are the city system's own.

Stale answers: the system gives every ticket a ``version`` that grows with each change. A read
that answers an older version than one already seen is asked once more, then answered with the
newest this adapter saw, so a phone page never steps back from "called" to "waiting".
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any, get_args

import httpx
from pydantic import BaseModel, ValidationError

from cloud.errors import Conflict
from cloud.hall import city_queue_http as http
from cloud.hall.backend import TicketSource, TicketView
from cloud.hall.city_queue_config import CityEndpoint, CityQueueConfig
from cloud.hall.signals import HallSignals, TicketDone
from protocols.hall import TicketState, WindowStatus

STATES = {
    "waiting": TicketState.ISSUED,
    "called": TicketState.CALLED,
    "serving": TicketState.SERVING,
    "finished": TicketState.DONE,
    "missed": TicketState.NO_SHOW,
    "cancelled": TicketState.CANCELLED,
    "transferred": TicketState.TRANSFERRED,
}
SOURCES: tuple[str, ...] = get_args(TicketSource)
#: tickets whose newest answer is remembered (stale-read protection)
REMEMBERED = 20_000


class CityTicketIn(BaseModel):
    """A ticket as the city system writes it (extra fields ignored: it may add some)."""

    ticket_id: int
    ticket_no: str
    business_type: str
    status: str
    source: str = ""
    waiting_ahead: int = 0
    window: str = ""
    staff_no: str = ""
    take_time: datetime
    call_time: datetime | None = None
    end_time: datetime | None = None
    recall_count: int = 0
    case_no: str = ""
    from_ticket: int | None = None
    to_ticket: int | None = None
    version: int = 0


def _utc(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)


class CityQueue:
    """:class:`~cloud.hall.backend.QueueBackend` over each configured site's city system."""

    def __init__(
        self,
        config: CityQueueConfig,
        signals: HallSignals | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.config = config
        self._signals = signals
        self._client = client or httpx.AsyncClient(timeout=config.timeout_s)
        self._service_of = {b: s for s, b in reversed(config.business.items())}
        self._newest: OrderedDict[tuple[str, int], tuple[int, TicketView]] = OrderedDict()

    def handles(self, site: str) -> bool:
        return site in self.config.sites

    async def aclose(self) -> None:
        await self._client.aclose()

    def _endpoint(self, site: str) -> CityEndpoint:
        ep = self.config.sites.get(site)
        if ep is None:
            raise Conflict(
                f"site {site} does not use a city queue system (not in KFLEET_HALL_CITY_QUEUE)"
            )
        return ep

    async def _call(
        self, site: str, method: str, path: str, body: dict[str, Any] | None = None
    ) -> Any:
        return await http.call(self._client, site, self._endpoint(site), method, path, body)

    def _view(self, site: str, data: Any) -> TicketView:
        try:
            t = CityTicketIn.model_validate(data)
            state = STATES[t.status]
        except (ValidationError, KeyError) as err:
            raise http.CityQueueUnavailable(
                f"the city hall's queue system of site {site} answered a ticket we cannot "
                f"read ({type(err).__name__}); ask its vendor whether the API changed "
                "(docs/city-queue.md lists what we expect)"
            ) from err
        issued = _utc(t.take_time)
        assert issued is not None
        view = TicketView(
            id=t.ticket_id,
            site=site,
            queue_code=t.business_type,
            service_code=self._service_of.get(t.business_type, t.business_type),
            ticket_no=t.ticket_no,
            state=state,
            source=t.source if t.source in SOURCES else "external",  # type: ignore[arg-type]
            issued_at=issued,
            people_ahead=t.waiting_ahead if state is TicketState.ISSUED else 0,
            window_no=t.window,
            staff_no=t.staff_no,
            called_at=_utc(t.call_time),
            recalls=t.recall_count,
            ended_at=_utc(t.end_time),
            case_no=t.case_no,
            transferred_from=t.from_ticket,
            transferred_to=t.to_ticket,
        )
        return self._remember(site, t.version, view)

    def _remember(self, site: str, version: int, view: TicketView) -> TicketView:
        key = (site, view.id)
        held = self._newest.get(key)
        if held is not None and held[0] > version:
            return held[1]
        self._newest[key] = (version, view)
        self._newest.move_to_end(key)
        while len(self._newest) > REMEMBERED:
            self._newest.popitem(last=False)
        return view

    def _is_stale(self, site: str, data: Any) -> bool:
        if not isinstance(data, dict):
            return False
        held = self._newest.get((site, data.get("ticket_id")))  # type: ignore[arg-type]
        version = data.get("version")
        return held is not None and isinstance(version, int) and version < held[0]

    async def take(
        self,
        site: str,
        service_code: str,
        *,
        source: TicketSource,
        appointment_id: str = "",
        priority: bool = False,  # the city system ranks appointments by its own rules
    ) -> TicketView:
        business = self.config.business.get(service_code, service_code)
        body = {"business_type": business, "source": source, "appointment_id": appointment_id}
        return self._view(site, await self._call(site, "POST", "/api/v1/tickets", body))

    async def ticket(self, site: str, ticket_id: int) -> TicketView:
        path = f"/api/v1/tickets/{ticket_id}"
        data = await self._call(site, "GET", path)
        if self._is_stale(site, data):
            data = await self._call(site, "GET", path)
        return self._view(site, data)

    async def waiting(self, site: str, queue_code: str = "") -> list[TicketView]:
        """The city's waiting tickets in call order (one business type, or all)."""
        query = f"?status=waiting&business_type={queue_code}" if queue_code else ""
        data = await self._call(site, "GET", f"/api/v1/tickets{query}")
        return [self._view(site, item) for item in (data if isinstance(data, list) else [])]

    async def set_window_status(
        self, site: str, window_no: str, status: WindowStatus, *, staff_no: str = ""
    ) -> None:
        """Open (with who signed in), pause or close a window in the city system (beyond
        :class:`QueueBackend`: the built-in queue keeps windows in our own tables)."""
        await self._window(
            site, window_no, "status", {"status": status.value, "staff_no": staff_no}
        )

    async def cancel(self, site: str, ticket_id: int) -> TicketView:
        return self._view(
            site, await self._call(site, "POST", f"/api/v1/tickets/{ticket_id}/cancel")
        )

    async def _window(
        self, site: str, window_no: str, op: str, body: dict[str, Any] | None = None
    ) -> Any:
        return await self._call(site, "POST", f"/api/v1/windows/{window_no}/{op}", body or {})

    async def call_next(
        self, site: str, window_no: str, *, staff_no: str = ""
    ) -> TicketView | None:
        data = await self._window(site, window_no, "call-next", {"staff_no": staff_no})
        return None if data is None else self._view(site, data)

    async def recall(self, site: str, window_no: str) -> TicketView:
        return self._view(site, await self._window(site, window_no, "recall"))

    async def start(self, site: str, window_no: str) -> TicketView:
        return self._view(site, await self._window(site, window_no, "start"))

    async def no_show(self, site: str, window_no: str) -> TicketView:
        return self._view(site, await self._window(site, window_no, "no-show"))

    async def complete(self, site: str, window_no: str, *, case_no: str = "") -> TicketView:
        data = await self._window(site, window_no, "complete", {"case_no": case_no})
        view = self._view(site, data)
        if self._signals is not None:
            await self._signals.ticket_done(
                TicketDone(
                    site=site,
                    ticket_id=view.id,
                    ticket_no=view.ticket_no,
                    queue_code=view.queue_code,
                    window_no=view.window_no or window_no,
                    staff_no=view.staff_no,
                    case_no=view.case_no,
                    done_at=view.ended_at or datetime.now(UTC),
                )
            )
        return view

    async def transfer(
        self, site: str, window_no: str, *, to_queue: str = "", to_window: str = ""
    ) -> TicketView:
        body = {
            "to_business_type": self.config.business.get(to_queue, to_queue),
            "to_window": to_window,
        }
        return self._view(site, await self._window(site, window_no, "transfer", body))
