"""Alert rules: the six kinds, their parameters, and validation with precise errors.

Pure: the cloud stores a rule as JSON (``params``) and turns it into a :class:`RuleSpec`
through :func:`parse_params`; a bad rule is refused with the field that is wrong, why, and
what is allowed, so the API can answer a 422 that names it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fleet.media_monitor import STREAM_METRICS, STREAM_PURPOSES
from protocols.telemetry import PeripheralMetric, SysMetric

#: the severities of ``cloud.notify.model.Severity`` (fleet may not import cloud; a test
#: proves the two agree)
SEVERITIES = ("critical", "major", "minor", "warning", "info")


class RuleKind(StrEnum):
    PRESENCE = "presence"  # a device offline or silent longer than N
    PERIPHERAL = "peripheral"  # paper out, near end, cover open, unplugged, offline
    METRIC = "metric"  # a newest telemetry value over/under a threshold
    JOB_FAILURE = "job_failure"  # the share of failed jobs over a window
    STREAM_STALLED = "stream_stalled"  # a device's live stream without media (issue 16)
    ROLLOUT_HALTED = "rollout_halted"  # a staged agent rollout halted (issue 17)


class RuleError(ValueError):
    """A rule that cannot work: ``field`` names the offending part (``params.threshold``)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


#: peripheral conditions a rule may name → (health values, reason words, paper codes)
PERIPHERAL_CONDITIONS: dict[str, tuple[frozenset[str], frozenset[str], frozenset[int]]] = {
    "paper_out": (frozenset(), frozenset({"paper_out"}), frozenset({2})),
    "near_end": (frozenset(), frozenset({"near_end", "paper_low"}), frozenset({1})),
    "cover_open": (frozenset(), frozenset({"cover_open"}), frozenset()),
    "paper_jam": (frozenset(), frozenset({"media_jam"}), frozenset()),
    "unplugged": (frozenset(), frozenset({"unplugged", "port_missing"}), frozenset()),
    "offline": (frozenset({"offline"}), frozenset(), frozenset()),
    "degraded": (frozenset({"degraded"}), frozenset(), frozenset()),
}
PRESENCE_STATES = ("offline", "silent", "never_seen")
OPS = (">", ">=", "<", "<=", "==", "!=")
#: metrics a threshold rule may watch (names are fixed by protocols.telemetry)
METRIC_NAMES = (
    tuple(m.value for m in SysMetric) + tuple(m.value for m in PeripheralMetric) + STREAM_METRICS
)
JOB_SCOPES = ("device", "site")
_WORD = re.compile(r"^[a-z0-9_]{1,32}$")
_TAG_VALUE = re.compile(r"^[A-Za-z0-9_.:/-]{1,64}$")


@dataclass(frozen=True, slots=True)
class PresenceParams:
    #: the device has been offline/silent at least this long (from ``fleet.liveness`` since)
    after_s: float = 300.0
    states: tuple[str, ...] = ("offline", "silent")


@dataclass(frozen=True, slots=True)
class PeripheralParams:
    conditions: tuple[str, ...] = ("paper_out",)
    #: only peripherals of these kinds (``receipt_printer``); empty: any
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MetricParams:
    name: str
    op: str
    threshold: float
    #: compare the absolute value (clock skew either way)
    absolute: bool = False
    #: only series with these device tags (``peripheral``: ``rp1``)
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class JobFailureParams:
    window_s: float = 3600.0
    #: fewer ended jobs than this in the window: no verdict (one failure of one is no trend)
    min_jobs: int = 5
    #: failed / ended at or above this opens the alert
    rate: float = 0.5
    per: str = "device"


@dataclass(frozen=True, slots=True)
class StreamStalledParams:
    """``stream.stalled`` is 1 (the monitor worker's telemetry) for a stream of these purposes;
    how long it must last is the rule's ``for_s``."""

    purposes: tuple[str, ...] = ("monitor",)


@dataclass(frozen=True, slots=True)
class RolloutHaltedParams:
    """A staged rollout of the rule's subtree halted (a wave failed its health gate) within
    the last ``within_s`` seconds; the alert resolves when that time has passed."""

    within_s: float = 86400.0


Params = (
    PresenceParams
    | PeripheralParams
    | MetricParams
    | JobFailureParams
    | StreamStalledParams
    | RolloutHaltedParams
)


@dataclass(frozen=True, slots=True)
class Scope:
    """What a rule watches: a site subtree ("" = every site), optionally one role, one device."""

    site: str = ""
    role: str | None = None
    device: str | None = None


@dataclass(frozen=True, slots=True)
class RuleSpec:
    id: int
    name: str
    kind: RuleKind
    params: Params
    severity: str = "major"
    #: the condition must hold this long before the alert fires (pending until then)
    for_s: float = 0.0
    #: remind every this many seconds while firing and not acknowledged; 0: never
    repeat_s: float = 0.0
    scope: Scope = Scope()
    channels: tuple[str, ...] = ()
    enabled: bool = True


def _number(raw: Mapping[str, Any], key: str, default: float | None, lo: float, hi: float) -> float:
    value = raw.get(key, default)
    where = f"params.{key}"
    if value is None:
        raise RuleError(where, "is required")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleError(where, f"must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or not lo <= value <= hi:
        raise RuleError(where, f"must lie between {lo:g} and {hi:g}")
    return float(value)


def _words(
    raw: Mapping[str, Any], key: str, default: tuple[str, ...], allowed: Any
) -> tuple[str, ...]:
    value = raw.get(key, list(default))
    where = f"params.{key}"
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise RuleError(where, "must be a list of words")
    if allowed is not None:
        bad = [v for v in value if v not in allowed]
        if bad:
            raise RuleError(where, f"unknown {bad}; use some of {sorted(allowed)}")
    return tuple(value)


def _no_extra(raw: Mapping[str, Any], known: set[str]) -> None:
    extra = sorted(set(raw) - known)
    if extra:
        raise RuleError(f"params.{extra[0]}", f"is not a parameter; known: {sorted(known)}")


def _presence(raw: Mapping[str, Any]) -> PresenceParams:
    _no_extra(raw, {"after_s", "states"})
    states = _words(raw, "states", ("offline", "silent"), PRESENCE_STATES)
    if not states:
        raise RuleError("params.states", "name at least one of " + ", ".join(PRESENCE_STATES))
    return PresenceParams(_number(raw, "after_s", 300.0, 0, 30 * 86400), states)


def _peripheral(raw: Mapping[str, Any]) -> PeripheralParams:
    _no_extra(raw, {"conditions", "kinds"})
    conditions = _words(raw, "conditions", ("paper_out",), PERIPHERAL_CONDITIONS)
    if not conditions:
        raise RuleError("params.conditions", "name at least one condition")
    kinds = _words(raw, "kinds", (), None)
    if any(not _WORD.match(k) for k in kinds):
        raise RuleError("params.kinds", "each kind is a word of a-z, 0-9 and _ (receipt_printer)")
    return PeripheralParams(conditions, kinds)


def _metric(raw: Mapping[str, Any]) -> MetricParams:
    _no_extra(raw, {"name", "op", "threshold", "absolute", "tags"})
    name = raw.get("name")
    if name not in METRIC_NAMES:
        raise RuleError("params.name", f"must be one of {list(METRIC_NAMES)}")
    op = raw.get("op", ">")
    if op not in OPS:
        raise RuleError("params.op", f"must be one of {list(OPS)}")
    absolute = raw.get("absolute", False)
    if not isinstance(absolute, bool):
        raise RuleError("params.absolute", "must be true or false")
    tags = raw.get("tags", {})
    if not isinstance(tags, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and _WORD.match(k) and _TAG_VALUE.match(v)
        for k, v in tags.items()
    ):
        raise RuleError("params.tags", 'must map tag names to values, e.g. {"peripheral": "rp1"}')
    threshold = _number(raw, "threshold", None, -1e12, 1e12)
    return MetricParams(str(name), str(op), threshold, absolute, dict(tags))


def _job_failure(raw: Mapping[str, Any]) -> JobFailureParams:
    _no_extra(raw, {"window_s", "min_jobs", "rate", "per"})
    per = raw.get("per", "device")
    if per not in JOB_SCOPES:
        raise RuleError("params.per", f"must be one of {list(JOB_SCOPES)}")
    min_jobs = _number(raw, "min_jobs", 5, 1, 1_000_000)
    if min_jobs != int(min_jobs):
        raise RuleError("params.min_jobs", "must be a whole number")
    return JobFailureParams(
        _number(raw, "window_s", 3600.0, 60, 30 * 86400),
        int(min_jobs),
        _number(raw, "rate", 0.5, 0.000001, 1),
        str(per),
    )


def _stream_stalled(raw: Mapping[str, Any]) -> StreamStalledParams:
    _no_extra(raw, {"purposes"})
    purposes = _words(raw, "purposes", ("monitor",), STREAM_PURPOSES)
    if not purposes:
        raise RuleError("params.purposes", "name at least one of " + ", ".join(STREAM_PURPOSES))
    return StreamStalledParams(purposes)


def _rollout_halted(raw: Mapping[str, Any]) -> RolloutHaltedParams:
    _no_extra(raw, {"within_s"})
    return RolloutHaltedParams(_number(raw, "within_s", 86400.0, 60, 30 * 86400))


_PARSERS: dict[RuleKind, Callable[[Mapping[str, Any]], Params]] = {
    RuleKind.PRESENCE: _presence,
    RuleKind.PERIPHERAL: _peripheral,
    RuleKind.METRIC: _metric,
    RuleKind.JOB_FAILURE: _job_failure,
    RuleKind.STREAM_STALLED: _stream_stalled,
    RuleKind.ROLLOUT_HALTED: _rollout_halted,  # issue 17
}


def parse_params(kind: str, raw: Any) -> Params:
    """The typed parameters of a rule of ``kind``, or :class:`RuleError` naming the field."""
    try:
        rule_kind = RuleKind(kind)
    except ValueError:
        raise RuleError("kind", f"must be one of {[k.value for k in RuleKind]}") from None
    if not isinstance(raw, Mapping):
        raise RuleError("params", "must be an object")
    return _PARSERS[rule_kind](raw)


def params_json(params: Params) -> dict[str, Any]:
    """The stored form of ``params`` (lists, not tuples)."""
    out: dict[str, Any] = {}
    for name in params.__dataclass_fields__:
        value = getattr(params, name)
        out[name] = list(value) if isinstance(value, tuple) else value
        if isinstance(value, Mapping):
            out[name] = dict(value)
    return out
