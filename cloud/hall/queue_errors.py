"""The queue's errors, each a sentence a window clerk or an integrator can act on."""

from __future__ import annotations

from cloud.errors import Conflict, NotFound
from fleet.queue import IllegalTransition


class UnknownSite(NotFound):
    def __init__(self, site: str) -> None:
        super().__init__(f"site {site!r} not found; give the site path, e.g. qh/hx/golmud/hhl")


class UnknownWindow(NotFound):
    def __init__(self, site: str, number: str) -> None:
        super().__init__(
            f"window {number!r} is not configured at site {site}; see GET "
            f"/api/v1/hall/windows?site={site} for its windows"
        )


class UnknownService(NotFound):
    def __init__(self, site: str, code: str) -> None:
        super().__init__(
            f"service {code!r} is not offered at site {site} (or is inactive); see GET "
            f"/api/v1/hall/services?site={site}"
        )


class UnknownQueue(NotFound):
    def __init__(self, site: str, code: str) -> None:
        super().__init__(f"queue {code!r} is not configured at site {site}")


class UnknownTicket(NotFound):
    def __init__(self, site: str, ticket_id: int, elsewhere: bool = False) -> None:
        why = " (it is a ticket of another site)" if elsewhere else ""
        super().__init__(f"ticket {ticket_id} is not a ticket of site {site}{why}")


class TransitionRefused(Conflict):
    """An illegal ticket transition (409); ``state`` names the ticket's state."""

    code = "illegal_transition"

    def __init__(self, err: IllegalTransition) -> None:
        self.state = err.state.value
        super().__init__(str(err))


class WindowBusy(Conflict):
    code = "window_busy"


class WindowNotOpen(Conflict):
    code = "window_not_open"


class NothingInHand(Conflict):
    code = "no_ticket_at_window"

    def __init__(self, site: str, number: str) -> None:
        super().__init__(
            f"window {number} at {site} has no called or served ticket; call the next one first"
        )


class UnknownStaff(NotFound):
    def __init__(self, site: str, staff_no: str) -> None:
        super().__init__(
            f"staff {staff_no!r} is not registered at site {site}; add them on the hall's staff "
            "page first"
        )
