"""Peripherals' counters as telemetry metrics.

The agent's periodic ``tele`` carries every peripheral's counters as metrics named
``peripheral.<counter>`` tagged ``{"peripheral": <id>, "kind": <kind>}`` (protocol §9), so
dashboards can sum a counter over a fleet or split it by device and peripheral. Counter names
come from driver code (``presses``, ``errors.unplugged``, ``ratings.5``), never from device
input, so no personal data can reach them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from protocols.messages import Metric

#: metric name prefix of peripheral counters
PREFIX = "peripheral."
#: at most this many counters per peripheral in one ``tele`` (the message holds ≤ 1000)
MAX_PER_PERIPHERAL = 64


def peripheral_metrics(
    peripherals: Iterable[tuple[str, str, Mapping[str, int]]], ts: int, room: int
) -> list[Metric]:
    """Metrics for ``(id, kind, counters)`` triples, at most ``room`` of them (sorted by
    peripheral and counter, so a cut is stable); a counter name too long is skipped."""
    out: list[Metric] = []
    for pid, kind, counters in peripherals:
        names = sorted(k for k in counters if len(PREFIX) + len(k) <= 64)[:MAX_PER_PERIPHERAL]
        for name in names:
            if len(out) >= room:
                return out
            tags = {"peripheral": pid, "kind": kind[:64]}
            out.append(Metric(name=PREFIX + name, value=float(counters[name]), ts=ts, tags=tags))
    return out
