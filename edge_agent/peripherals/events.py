"""The ``evt`` bodies peripherals report: masked ID-card reads and 好差评 ratings.

Kept apart from the adapters so the masking rule lives in one small, easily audited place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from protocols.idcard import mask_id_number, mask_name
from protocols.messages import EventBody, EventKind, IdCardReadData, RatingData

if TYPE_CHECKING:
    from edge_agent.drivers.idcard_reader import IdCardRead
    from edge_agent.drivers.rating_pad import RatingResult


def idcard_event(peripheral: str, read: IdCardRead) -> EventBody:
    """The ``idcard_read`` event for one card: masked ID number and name, nothing else."""
    data = IdCardReadData(
        id_number=mask_id_number(read.text.id_number), name=mask_name(read.text.name)
    )
    return EventBody(kind=EventKind.IDCARD_READ, peripheral=peripheral, data=data.model_dump())


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
