"""The queue behind a site: the built-in one (``cloud.hall.queue_*``) or the city hall's
existing queue system through its adapter (``cloud.hall.city_queue``). The API, the call
button and the kiosk talk to this protocol only, so a site switches by configuration.

Every method raises :class:`cloud.errors.CloudError` subclasses with a precise message (an
illegal transition, an unknown ticket or window, a ticket of another site); none returns a
half-done state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from protocols.hall import TicketState

#: where a ticket came from
TicketSource = Literal["kiosk", "console", "appointment", "phone", "external"]


@dataclass(frozen=True, slots=True)
class TicketView:
    id: int
    site: str  # site path
    queue_code: str
    service_code: str
    ticket_no: str  # ``A012``
    state: TicketState
    source: TicketSource
    issued_at: datetime
    #: tickets before this one in its queue while it waits (0 once called)
    people_ahead: int = 0
    window_no: str = ""
    staff_no: str = ""
    called_at: datetime | None = None
    recalls: int = 0
    ended_at: datetime | None = None
    appointment_id: str = ""
    case_no: str = ""
    #: the ticket this one continues (a transfer), or the one it became
    transferred_from: int | None = None
    transferred_to: int | None = None


class QueueBackend(Protocol):
    async def take(
        self,
        site: str,
        service_code: str,
        *,
        source: TicketSource,
        appointment_id: str = "",
        priority: bool = False,
    ) -> TicketView:
        """A new ticket; ``priority``: an appointment checked in within its slot (a backend
        with its own priority rules may ignore it)."""
        ...

    async def call_next(
        self, site: str, window_no: str, *, staff_no: str = ""
    ) -> TicketView | None:
        """The next ticket for the window (None: nobody waits); never the same to two windows."""
        ...

    async def recall(self, site: str, window_no: str) -> TicketView: ...

    async def start(self, site: str, window_no: str) -> TicketView:
        """The citizen arrived at the window: called → serving."""
        ...

    async def no_show(self, site: str, window_no: str) -> TicketView: ...

    async def complete(self, site: str, window_no: str, *, case_no: str = "") -> TicketView: ...

    async def transfer(
        self, site: str, window_no: str, *, to_queue: str = "", to_window: str = ""
    ) -> TicketView:
        """End the window's ticket as ``transferred`` and return the new one it became."""
        ...

    async def cancel(self, site: str, ticket_id: int) -> TicketView: ...

    async def ticket(self, site: str, ticket_id: int) -> TicketView: ...
