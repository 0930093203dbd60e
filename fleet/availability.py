"""Availability (uptime %) of a device over a period, from its presence history. Pure.

The history is the device's presence events in time order: ``online`` (a new session, or back
from silence) and a ``birth`` that made it online count as up; ``offline`` (its will, or its
own goodbye) and ``silent`` (it said online but sent nothing for three heartbeats,
``fleet.liveness``) count as down. Before the first event that says either, the state is
unknown: unknown time is reported but left out of the percentage, so a device registered
mid-period is not punished for the time before it existed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

UP_KINDS = frozenset({"online", "birth"})
DOWN_KINDS = frozenset({"offline", "silent"})
#: the device event kinds that say whether a device is up
PRESENCE_KINDS = UP_KINDS | DOWN_KINDS


def presence_of(kind: str, data: Mapping[str, Any] | None = None) -> bool | None:
    """Up (True), down (False) or no news (None) from one device event."""
    if kind == "birth":  # a birth of a session already ended does not bring it online
        return bool((data or {}).get("online", True))
    if kind in UP_KINDS:
        return True
    if kind in DOWN_KINDS:
        return False
    return None


@dataclass(frozen=True, slots=True)
class Uptime:
    """Seconds up, down and unknown within a period."""

    up_s: float = 0.0
    down_s: float = 0.0
    unknown_s: float = 0.0

    @property
    def known_s(self) -> float:
        return self.up_s + self.down_s

    @property
    def pct(self) -> float | None:
        """Up time over known time, in percent; None when nothing is known."""
        return None if self.known_s <= 0 else 100.0 * self.up_s / self.known_s

    def __add__(self, other: Uptime) -> Uptime:
        return Uptime(
            self.up_s + other.up_s, self.down_s + other.down_s, self.unknown_s + other.unknown_s
        )


def uptime(
    changes: Iterable[tuple[datetime, bool]],
    start: datetime,
    end: datetime,
    state_at_start: bool | None = None,
) -> Uptime:
    """Uptime over ``[start, end)``.

    ``changes``: (when, up) in time order; those before ``start`` set the state at ``start``
    (so passing the whole history works), those at or after ``end`` are ignored.
    ``state_at_start``: what the state was at ``start`` if no change before it is given.
    """
    if end <= start:
        return Uptime()
    totals = {True: 0.0, False: 0.0, None: 0.0}
    state, at = state_at_start, start
    for when, up in changes:
        if when >= end:
            break
        if when > at:
            totals[state] += (when - at).total_seconds()
            at = when
        state = up
    totals[state] += (end - at).total_seconds()
    return Uptime(totals[True], totals[False], totals[None])


def total(parts: Sequence[Uptime]) -> Uptime:
    """Several devices' uptimes together (a site's: device-seconds, so a percentage of them)."""
    result = Uptime()
    for part in parts:
        result = result + part
    return result
