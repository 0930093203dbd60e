"""From a device's ``tele`` batch to the points the cloud stores: each metric checked, clamped
or refused, and tagged by the cloud.

Nothing a device sends is stored as truth unchecked: a value that cannot be a reading (NaN,
infinity, a negative disk size, a percentage of 250, a paper code of 7), a timestamp far ahead
of the cloud's clock or older than the raw retention, a malformed name, or a flood of one
series is refused; a percentage a little past its range (rounding on the device: 100.4 %) is
clamped. Every refusal and clamp is counted by reason (:class:`Bad`), for ``/metrics`` and
the logs. The cloud's tags (``device``, ``role``, ``site``, ``site_l1`` … ``site_l5``) always
win over tags of the same name from the device.

Wrong JSON types are refused before this (``protocols.envelope.decode``: a ``value`` of
``"abc"`` makes the whole message invalid, counted by the bus as ``invalid``); what arrives
here has a float value and an int timestamp.
"""

from __future__ import annotations

import math
import re
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from math import isfinite

from cloud.telemetry.latest import series_key
from cloud.telemetry.lean import MetricLike
from cloud.telemetry.model import CLOUD_TAGS, Point
from protocols.telemetry import COUNTER_PREFIX, PeripheralMetric, SysMetric, site_tags


class Bad(StrEnum):
    """Why a metric was refused (or, for ``CLAMPED`` and ``RESERVED_TAG``, changed)."""

    NON_FINITE = "non_finite"  # NaN or ±infinity
    NEGATIVE = "negative"  # a size, duration or counter below zero
    OUT_OF_RANGE = "out_of_range"  # past its range by more than rounding (cpu 250 %)
    NOT_A_CODE = "not_a_code"  # health/paper not one of their integer codes
    CLAMPED = "clamped"  # a percentage a little past 0..100, stored as 0 or 100
    FUTURE = "future"  # stamped further ahead of the cloud's clock than allowed
    TOO_OLD = "too_old"  # older than the raw retention (it would be deleted at once)
    FLOOD = "flood"  # more points of one series in one minute than allowed
    BAD_NAME = "bad_name"  # not a metric name (upper case, spaces, punctuation)
    RESERVED_TAG = "reserved_tag"  # a device tag named like a cloud tag: dropped, point kept


#: percentages: clamped within this many points of their range, refused beyond
PCT_SLACK = 5.0
# Plain strings, not the enum members: comparing a str with a StrEnum member costs ~0.3 µs
# (the enum's __eq__), paid on every point of every batch.
_PCT = frozenset(m.value for m in (SysMetric.CPU_PCT, SysMetric.MEM_PCT, SysMetric.DISK_PCT))
_NON_NEGATIVE = frozenset(
    m.value
    for m in (
        SysMetric.DISK_FREE_MB,
        SysMetric.LOAD1,
        SysMetric.UPTIME_S,
        SysMetric.HOST_UPTIME_S,
        SysMetric.BROKER_RTT_MS,
    )
)
_CODES = {PeripheralMetric.HEALTH.value: range(4), PeripheralMetric.PAPER.value: range(4)}
_TEMP = SysMetric.TEMP_C.value
#: a thermal zone outside this (°C) is a broken sensor, not a reading
TEMP_RANGE = (-60.0, 150.0)
#: a metric name: lower-case words of letters, digits and ``_`` joined by dots
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
#: well-formed names remembered (forgotten all at once beyond this many)
GOOD_NAMES_MEMORY = 10_000
#: a well-formed name's rule (:func:`rule_of`): a name without ranges needs only a finite
#: value, a size or counter also a non-negative one; ranged names take :func:`check_value`
_PLAIN, _NON_NEG, _RANGED = "plain", "non_negative", "ranged"
#: the rule of each well-formed name seen (also the memory of :func:`good_name`)
_RULES: dict[str, str] = {}
#: flood buckets remembered (series × minute); the oldest are forgotten beyond this
FLOOD_MEMORY = 200_000


def good_name(name: str) -> bool:
    """A well-formed metric name (at most 64 characters, as the wire allows). The names of
    ``protocols.telemetry`` get range checks below; other well-formed names (an agent's own
    counters such as ``jobs_succeeded``) are stored with the finite check only."""
    if name in _RULES:  # a fleet sends the same few hundred names over and over
        return True
    if len(name) > 64 or NAME_RE.match(name) is None:
        return False
    if len(_RULES) >= GOOD_NAMES_MEMORY:
        _RULES.clear()
    _RULES[name] = rule_of(name)
    return True


def rule_of(name: str) -> str:
    """Which checks :func:`check_value` makes of a well-formed name beyond a finite value."""
    if name in _PCT or name in _CODES or name == _TEMP:
        return _RANGED
    if name in _NON_NEGATIVE or name.startswith(COUNTER_PREFIX):
        return _NON_NEG
    return _PLAIN


def check_value(name: str, value: float) -> tuple[float | None, Bad | None]:
    """The value to store (None: refuse it) and why it changed or was refused."""
    if not good_name(name):
        return None, Bad.BAD_NAME
    if not math.isfinite(value):
        return None, Bad.NON_FINITE
    if name in _PCT:
        if 0.0 <= value <= 100.0:
            return value, None
        if -PCT_SLACK <= value <= 100.0 + PCT_SLACK:
            return min(100.0, max(0.0, value)), Bad.CLAMPED
        return None, Bad.OUT_OF_RANGE
    codes = _CODES.get(name)
    if codes is not None:
        ok = value == int(value) and int(value) in codes
        return (value, None) if ok else (None, Bad.NOT_A_CODE)
    if name == _TEMP:
        lo, hi = TEMP_RANGE
        return (value, None) if lo <= value <= hi else (None, Bad.OUT_OF_RANGE)
    if value < 0 and (name in _NON_NEGATIVE or name.startswith(COUNTER_PREFIX)):
        return None, Bad.NEGATIVE
    return value, None


@dataclass(frozen=True, slots=True)
class Limits:
    """The ingest limits (from the settings, ``cloud.settings_telemetry``)."""

    future_ms: int = 5 * 60 * 1000
    max_age_ms: int = 7 * 24 * 3600 * 1000
    per_series_min: int = 60


@dataclass
class Verdict:
    """One batch's outcome: the points to store and what was refused or changed, by reason."""

    points: list[Point] = field(default_factory=list)
    bad: Counter[Bad] = field(default_factory=Counter)


#: a Point from its fields' tuple, without the generated ``__new__``'s call (per point)
_point = partial(tuple.__new__, Point)


class Validator:
    """Checks and tags batches; remembers recent per-series counts for the flood limit."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.counts: Counter[Bad] = Counter()
        self._per_minute: OrderedDict[tuple[str, str, str, int], int] = OrderedDict()

    def check(
        self,
        metrics: Sequence[MetricLike],
        cloud_tags: Mapping[str, str],
        now_ms: int,
        offset_ms: int | None = None,
    ) -> Verdict:
        """``cloud_tags``: :func:`cloud_tags_of`. ``offset_ms``: cloud minus device clock, if
        known (``cloud.clocks``), so a device whose clock runs ahead is not refused for it.

        The hot path of ingest (issue 12), so written out flat: the time bounds are worked
        out once per batch, a name's rule once per name (:func:`rule_of`), and a finite value
        of a name without range rules skips :func:`check_value`. The rules and their order
        (value, time, reserved tags, flood) and counts are the same as ever."""
        verdict = Verdict()
        bad, append = verdict.bad, verdict.points.append
        device = cloud_tags.get("device", "")
        shift = offset_ms or 0  # on the cloud's clock a point is at ts + shift
        latest = now_ms + self.limits.future_ms - shift
        earliest = now_ms - self.limits.max_age_ms - shift
        per_minute, most = self._per_minute, self.limits.per_series_min
        for m in metrics:
            name, value, ts = m.name, m.value, m.ts
            rule = _RULES.get(name)
            plain = rule is _PLAIN or (rule is _NON_NEG and value >= 0)
            if not (plain and isfinite(value)):
                checked, why = check_value(name, value)
                if why is not None:
                    bad[why] += 1
                if checked is None:
                    continue
                value = checked
            if ts > latest:
                bad[Bad.FUTURE] += 1
                continue
            if ts < earliest:
                bad[Bad.TOO_OLD] += 1
                continue
            tags, key = self._tags(m.tags, cloud_tags, verdict) if m.tags else (cloud_tags, "")
            # the flood limit: points of one series within one minute of their own time (a
            # replay of an outage spreads over many minutes and passes; a flood does not)
            bucket = (device, name, key, ts // 60_000)
            seen = per_minute.get(bucket, 0)
            if seen >= most:
                bad[Bad.FLOOD] += 1
                continue
            per_minute[bucket] = seen + 1
            if seen:  # a new bucket is at the end already
                per_minute.move_to_end(bucket)
            append(_point((name, value, ts, tags, key)))
        while len(per_minute) > FLOOD_MEMORY:
            per_minute.popitem(last=False)
        self.counts.update(bad)
        return verdict

    @staticmethod
    def _tags(
        own: Mapping[str, str], cloud_tags: Mapping[str, str], verdict: Verdict
    ) -> tuple[Mapping[str, str], str]:
        """The point's tags (the cloud's win) and its series key. Most metrics carry no tags
        of their own: they share the device's ``cloud_tags`` mapping (nothing mutates a
        point's tags) instead of a copy each."""
        if not own:
            return cloud_tags, ""
        tags = {k: v for k, v in own.items() if k not in CLOUD_TAGS}
        if len(tags) != len(own):
            verdict.bad[Bad.RESERVED_TAG] += 1
        key = series_key(tags)
        tags.update(cloud_tags)
        return tags, key


def cloud_tags_of(device_id: str, role: str, site: str) -> dict[str, str]:
    """The tags the cloud puts on every point of a device: ``device``, ``role`` and the site
    path at each level (``protocols.telemetry.site_tags``)."""
    return {"device": device_id, "role": role, **site_tags(site)}
