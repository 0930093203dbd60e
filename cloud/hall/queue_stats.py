"""Waiting counts, average wait and service times, and a rough expected wait — for the live
body the screens show and for the console's monitor. Pure functions over ticket rows."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Times:
    """A ticket's times as the statistics need them."""

    queue_code: str
    state: str
    issued_at: datetime
    called_at: datetime | None
    served_at: datetime | None
    ended_at: datetime | None


def _mean_min(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) / 60.0 if items else None


def mean_wait_min(rows: Sequence[Times]) -> float | None:
    """Issue to (first) call, minutes, over the tickets that were called."""
    return _mean_min(
        (t.called_at - t.issued_at).total_seconds() for t in rows if t.called_at is not None
    )


def mean_service_min(rows: Sequence[Times]) -> float | None:
    """Start to completion, minutes, over the completed tickets."""
    return _mean_min(
        (t.ended_at - t.served_at).total_seconds()
        for t in rows
        if t.state == "done" and t.served_at is not None and t.ended_at is not None
    )


def expected_wait_min(waiting: int, service_min: float | None, open_windows: int) -> int | None:
    """A rough wait for a ticket taken now: the people ahead served at the recent pace by the
    open windows calling from this queue (None: no recent service, or no window open)."""
    if service_min is None or open_windows == 0:
        return None
    return math.ceil(waiting * service_min / open_windows)
