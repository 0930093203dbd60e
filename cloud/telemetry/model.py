"""The shapes every part of telemetry agrees on: a stored point, a series query, a series.

A :class:`Point` is what the store keeps: a canonical metric name (``protocols.telemetry``),
a value already validated (finite, clamped), the device's own timestamp, and tags: the
device's (``peripheral``, ``kind``) plus the cloud's (``device``, ``role``, ``site``,
``site_l1`` … ``site_l5``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from protocols.telemetry import COUNTER_PREFIX, PeripheralMetric, SysMetric

#: tag names the cloud sets on every point (a device's own tags never override them)
CLOUD_TAGS = ("device", "role", "site", "site_l1", "site_l2", "site_l3", "site_l4", "site_l5")


class Point(NamedTuple):
    """Immutable like the frozen dataclass it was, and several times faster to build: ingest
    builds one per metric (issue 12: the frozen dataclass's ``__init__`` was the validator's
    biggest cost)."""

    name: str
    value: float
    ts_ms: int
    tags: Mapping[str, str]
    #: ``cloud.telemetry.latest.series_key(tags)`` when the validator already knows it
    key: str | None = None

    @property
    def device(self) -> str:
        return self.tags.get("device", "")


class Agg(StrEnum):
    """How the points of one step are combined (rollups keep enough for each)."""

    AVG = "avg"
    MIN = "min"
    MAX = "max"
    SUM = "sum"
    LAST = "last"
    COUNT = "count"


#: coded gauges: a step's mean of "ok" (0) and "out" (2) would read "near end" (1), which
#: never happened; the step's highest code is the worst state it saw
_CODED = frozenset({PeripheralMetric.HEALTH.value, PeripheralMetric.PAPER.value})
#: running totals: the step's last value is the total at its end
_TOTALS = frozenset({SysMetric.UPTIME_S.value, SysMetric.HOST_UPTIME_S.value})


def default_agg(name: str) -> Agg:
    """How a metric's steps are combined when the caller does not say: ``max`` for coded
    states (health, paper), ``last`` for counters and uptimes, ``avg`` for other gauges."""
    if name in _CODED:
        return Agg.MAX
    if name in _TOTALS or name.startswith(COUNTER_PREFIX):
        return Agg.LAST
    return Agg.AVG


@dataclass(frozen=True, slots=True)
class SeriesQuery:
    """One metric over ``[start_ms, end_ms)`` in steps of ``step_s``, for one device or a site
    subtree (``site`` matches the path and everything below it), optionally narrowed by tags
    (e.g. ``{"peripheral": "receipt"}``). ``group_by`` names the tags that split the result
    into series (default: one series per device and per device-tag set)."""

    name: str
    start_ms: int
    end_ms: int
    step_s: int = 300
    agg: Agg = Agg.AVG
    device: str | None = None
    site: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    group_by: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Series:
    """Points of one tag set: ``points`` are ``(step start ms, value)``, oldest first;
    empty steps are absent (a gap is a gap, never a zero)."""

    name: str
    labels: Mapping[str, str]
    points: list[tuple[int, float]]


class StoreUnavailable(Exception):
    """The time-series store did not take or give points (down, refusing, timed out).
    The message says which store, why, and what an operator can do."""
