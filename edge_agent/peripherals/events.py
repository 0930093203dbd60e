"""The ``rating`` event a 好差评 rating becomes, whether the cloud asked for it (a peripheral
call) or the agent's own API did (``Agent.request_rating``): one shape for both.

(An ID-card read's event is built by its driver, ``edge_agent.drivers.idcard_reader``, with
the masking rule of ``protocols.idcard``.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from protocols.messages import EventBody, EventKind, RatingData

if TYPE_CHECKING:
    from edge_agent.drivers.rating_pad import RatingResult


def rating_event(peripheral: str, result: RatingResult) -> EventBody:
    data = RatingData(
        case_no=result.case_no,
        code=result.code,
        name=result.name or "",
        reasons=[str(r) for r in result.reasons],
        timed_out=result.timed_out,
    )
    return EventBody(
        kind=EventKind.RATING, peripheral=peripheral, data=data.model_dump(exclude_none=True)
    )
