"""The telemetry contract: what an agent's ``tele`` batches carry and what the cloud stores.

Metric names are fixed here (never built from device input), so dashboards, alert rules and
the time-series store agree on them. Points carry their own wall-clock timestamps (ms), so a
batch replayed from the outbox after an outage fills the gap instead of landing "now".

Tags on the wire are the device's own (``peripheral``, ``kind``); the cloud adds ``device``,
``role``, ``site`` (the full path) and ``site_l1`` … ``site_l5`` (the path up to each level),
see :func:`site_tags`, so one query can sum over any subtree of the five-level site tree.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

#: the agent's default telemetry period (s); also the heartbeat the cloud's liveness uses
DEFAULT_TELE_INTERVAL_S = 60.0
#: a device silent for this many of its telemetry periods is shown as silent
SILENT_AFTER_PERIODS = 3


class SysMetric(StrEnum):
    """Device-wide gauges an agent samples each period (absent when the OS does not say)."""

    CPU_PCT = "sys.cpu_pct"  # 0-100, whole machine, since the previous sample
    MEM_PCT = "sys.mem_pct"  # 0-100, used (not cache) / total
    DISK_PCT = "sys.disk_pct"  # 0-100, of the filesystem holding the agent's data_dir
    DISK_FREE_MB = "sys.disk_free_mb"
    TEMP_C = "sys.temp_c"  # hottest thermal zone; absent where the OS gives none
    LOAD1 = "sys.load1"
    UPTIME_S = "uptime_s"  # the agent process
    HOST_UPTIME_S = "sys.uptime_s"  # the machine
    BROKER_RTT_MS = "link.rtt_ms"  # a QoS1 round trip to the broker
    CLOCK_OFFSET_MS = "clock.offset_ms"  # device clock minus the cloud's (from time sync)


class PeripheralMetric(StrEnum):
    """Per-peripheral gauges, tagged ``peripheral`` (its id) and ``kind``. Counters the
    drivers keep travel as ``peripheral.<counter>`` (``peripheral.pages``, ``peripheral.
    errors.unplugged``), totals since the agent started."""

    HEALTH = "peripheral.health"  # a HealthCode
    PAPER = "peripheral.paper"  # a PaperCode, printers only


#: prefix of driver counters (``peripheral.<counter>``)
COUNTER_PREFIX = "peripheral."


class HealthCode(IntEnum):
    """``peripheral.health`` as a number, so it charts and thresholds like any gauge."""

    OK = 0
    DEGRADED = 1
    OFFLINE = 2
    UNKNOWN = 3


class PaperCode(IntEnum):
    """``peripheral.paper``: what a printer's sensors say about its paper."""

    OK = 0
    NEAR_END = 1
    OUT = 2
    UNKNOWN = 3


#: the levels of the site tree, root first (``fleet.sites``): tag names ``site_l1`` … ``site_l5``
SITE_LEVELS = 5


def site_tags(path: str) -> dict[str, str]:
    """``qh/hx/golmud`` → ``{"site": "qh/hx/golmud", "site_l1": "qh", "site_l2": "qh/hx",
    "site_l3": "qh/hx/golmud"}``: a subtree query filters on one tag, no prefix matching."""
    parts = [p for p in path.split("/") if p]
    tags = {"site": "/".join(parts)}
    for level in range(1, min(len(parts), SITE_LEVELS) + 1):
        tags[f"site_l{level}"] = "/".join(parts[:level])
    return tags
