"""What one part of the hall tells the others, in process, without importing them.

The queue says a ticket's service is complete (ratings ask the window's pad for a rating);
ratings never call the queue, the queue never knows about ratings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TicketDone:
    """A ticket's service completed at a window (state ``done``)."""

    site: str  # the site path
    ticket_id: int
    ticket_no: str  # ``A012``
    queue_code: str
    window_no: str
    staff_no: str  # "" if nobody was signed in
    #: the 办件编号 the window attached, when known ("" otherwise)
    case_no: str
    done_at: datetime


class TicketDoneSink(Protocol):
    async def on_ticket_done(self, done: TicketDone) -> None: ...


class HallSignals:
    """The sinks of each signal; a failing sink is logged and never stops the queue."""

    def __init__(self) -> None:
        self._done: list[TicketDoneSink] = []

    def on_ticket_done(self, sink: TicketDoneSink) -> None:
        self._done.append(sink)

    async def ticket_done(self, done: TicketDone) -> None:
        for sink in self._done:
            try:
                await sink.on_ticket_done(done)
            except Exception:
                log.exception("%s failed on ticket %s done", type(sink).__name__, done.ticket_no)
