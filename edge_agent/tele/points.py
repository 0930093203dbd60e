"""One sample of everything the agent reports, as points with the sample's timestamp."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from edge_agent.peripherals.telemetry import peripheral_metrics
from edge_agent.tele.peripheral_state import state_metrics
from edge_agent.tele.system import SystemSampler
from protocols.messages import Health, Metric
from protocols.telemetry import SysMetric

#: every driver counter of a peripheral fits (the batcher splits big batches)
NO_LIMIT = 1_000_000


@dataclass(frozen=True, slots=True)
class PeripheralSample:
    """What one peripheral contributes: its last health and the driver's counters."""

    id: str
    kind: str
    health: Health
    reason: str
    counters: Mapping[str, int]


def sample_points(
    ts: int,
    *,
    agent: Mapping[str, float],
    system: SystemSampler,
    rtt_ms: float | None,
    offset_ms: int | None,
    peripherals: Iterable[PeripheralSample],
) -> list[Metric]:
    """The agent's own counters, the system's gauges, the link's round trip and clock offset
    (when known), then each peripheral's health, paper and counters."""
    values = dict(agent)
    values.update(system.sample())
    values["tele_sample_errors"] = system.error_count
    if rtt_ms is not None:
        values[SysMetric.BROKER_RTT_MS.value] = rtt_ms
    if offset_ms is not None:
        values[SysMetric.CLOCK_OFFSET_MS.value] = offset_ms
    points = [Metric(name=k, value=float(v), ts=ts) for k, v in values.items()]
    devices = list(peripherals)
    for p in devices:
        points += state_metrics(p.id, p.kind, p.health, p.reason, ts)
    points += peripheral_metrics(((p.id, p.kind, p.counters) for p in devices), ts, NO_LIMIT)
    return points
