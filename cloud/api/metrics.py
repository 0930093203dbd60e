"""``GET /metrics``: the cloud's own health in Prometheus' text format (``prometheus-client``).

Each scrape reads the in-process counters (bus, events channel, liveness worker) and asks the
database three cheap questions (a timed ``SELECT 1``, jobs by state, devices by liveness), so
the figures are of this instance; sum them over instances in the query. Access: with
``KFLEET_METRICS_TOKEN`` set, a scraper sends ``Authorization: Bearer <token>``; without it,
only loopback clients are answered (a scraper on the same host, or through a sidecar).
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text

from cloud.db.models import Device, Job
from cloud.errors import CloudError
from cloud.hall.haocha.metrics import haocha_metrics
from cloud.media.metrics import media_metrics
from cloud.stats import LAG_BUCKETS
from cloud.wiring import Parts

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class MetricsRefused(CloudError):
    status_code = 401
    code = "no_credentials"


@dataclass
class DbFigures:
    up: bool = False
    latency_s: float = 0.0
    jobs: dict[str, int] = field(default_factory=dict)
    devices: dict[str, int] = field(default_factory=dict)


async def db_figures(parts: Parts) -> DbFigures:
    out = DbFigures()
    try:
        async with parts.sessions() as s:
            began = time.perf_counter()
            await s.execute(text("SELECT 1"))
            out.latency_s = time.perf_counter() - began
            rows = await s.execute(select(Job.state, func.count()).group_by(Job.state))
            out.jobs = {str(state): int(n) for state, n in rows.all()}
            silent = Device.silent_since.is_not(None)
            by = await s.execute(
                select(Device.online, silent, func.count()).group_by(Device.online, silent)
            )
            for online, is_silent, n in by.all():
                key = "offline" if not online else "silent" if is_silent else "online"
                out.devices[key] = out.devices.get(key, 0) + int(n)
        out.up = True
    except Exception:  # a scrape must answer even when the database does not
        log.warning("metrics: the database did not answer", exc_info=True)
        out.up = False
    return out


class CloudCollector(Collector):
    """The figures of one scrape."""

    def __init__(self, parts: Parts, db: DbFigures) -> None:
        self._parts = parts
        self._db = db

    def collect(self) -> Iterator[Metric]:
        yield from self._bus()
        yield from self._workers()
        yield from self._telemetry()
        yield from self._database()
        yield from haocha_metrics(self._parts.hall.haocha)
        yield from media_metrics(self._parts.media)  # issue 16: stream health

    def _telemetry(self) -> Iterator[Metric]:
        tele = self._parts.telemetry.stats()
        for key, name, what in (
            ("accepted_points", "kfleet_telemetry_points_accepted", "accepted for the store"),
            ("written_points", "kfleet_telemetry_points_written", "the store confirmed"),
            ("dropped_points", "kfleet_telemetry_points_dropped", "dropped: buffer full"),
            ("write_failures", "kfleet_telemetry_write_failures", "failed writes (retried)"),
        ):
            yield CounterMetricFamily(name, what, float(tele[key]))
        yield GaugeMetricFamily(
            "kfleet_telemetry_buffered_points",
            "points waiting for the store",
            tele["buffered_points"],
        )
        yield GaugeMetricFamily(
            "kfleet_telemetry_buffer_capacity", "the most points held", tele["buffer_capacity"]
        )
        yield GaugeMetricFamily(
            "kfleet_telemetry_store_down",
            "1 while the store refuses writes",
            int(tele["store_down"]),
        )
        bad = CounterMetricFamily(
            "kfleet_telemetry_bad_points", "points refused or clamped, by why", labels=["why"]
        )
        for why, n in tele["bad_points"].items():
            bad.add_metric([why], n)
        yield bad

    def _bus(self) -> Iterator[Metric]:
        stats, bus = self._parts.stats, self._parts.bus
        yield GaugeMetricFamily("kfleet_bus_connected", "1 while connected", int(stats.connected))
        yield CounterMetricFamily("kfleet_bus_connects", "broker connections made", stats.connects)
        yield CounterMetricFamily(
            "kfleet_bus_messages_received", "messages from devices", stats.received
        )
        yield CounterMetricFamily(
            "kfleet_bus_commands_published", "commands the broker confirmed", stats.published
        )
        yield GaugeMetricFamily(
            "kfleet_bus_awaiting_puback", "commands not yet confirmed", stats.awaiting_puback
        )
        yield GaugeMetricFamily(
            "kfleet_bus_queue_depth", "received messages waiting for a handler", bus.queue_depth()
        )
        for name, counts, label in (
            ("handled", stats.handled, "type"),
            ("rejected", stats.rejected, "reason"),
            ("ignored", stats.ignored, "reason"),
        ):
            family = CounterMetricFamily(
                f"kfleet_bus_messages_{name}", f"messages {name}, by {label}", labels=[label]
            )
            for key, n in sorted(counts.items()):
                family.add_metric([key], n)
            yield family
        yield _lag(stats.lag_counts, stats.lag_sum_s, stats.lag_count)

    def _workers(self) -> Iterator[Metric]:
        parts = self._parts
        events = parts.events
        yield GaugeMetricFamily("kfleet_events_queue_depth", "ingest→dispatcher", events.depth())
        yield CounterMetricFamily(
            "kfleet_events_dropped", "events dropped on a full channel", events.dropped
        )
        workers = GaugeMetricFamily("kfleet_worker_up", "1 while running", labels=["worker"])
        stopped = set(parts.workers.stopped())
        for name in parts.workers.names():
            workers.add_metric([name], 0 if name in stopped else 1)
        yield workers
        live = parts.liveness
        yield CounterMetricFamily("kfleet_liveness_sweeps", "silent-device sweeps", live.sweeps)
        yield CounterMetricFamily("kfleet_liveness_marked_silent", "devices marked", live.marked)
        yield CounterMetricFamily("kfleet_liveness_returned", "silent devices back", live.returned)

    def _database(self) -> Iterator[Metric]:
        db = self._db
        yield GaugeMetricFamily("kfleet_db_up", "1 when the database answered", int(db.up))
        yield GaugeMetricFamily(
            "kfleet_db_latency_seconds", "a SELECT 1 during this scrape", db.latency_s
        )
        jobs = GaugeMetricFamily("kfleet_jobs", "jobs by state", labels=["state"])
        for state, n in sorted(db.jobs.items()):
            jobs.add_metric([state], n)
        yield jobs
        devices = GaugeMetricFamily("kfleet_devices", "devices by liveness", labels=["liveness"])
        for state, n in sorted(db.devices.items()):
            devices.add_metric([state], n)
        yield devices


def _lag(counts: list[int], total_s: float, count: int) -> Metric:
    buckets: list[tuple[str, float]] = []
    running = 0
    for bound, n in zip(LAG_BUCKETS, counts, strict=True):
        running += n
        buckets.append((repr(bound), running))
    return HistogramMetricFamily(
        "kfleet_ingest_lag_seconds",
        "device send (clock-corrected) to handling",
        buckets=[*buckets, ("+Inf", count)],
        sum_value=total_s,
    )


def _allowed(request: Request, token: str) -> bool:
    if token:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    return request.client is not None and request.client.host in LOOPBACK


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus text format; see docs/operations.md for what to alert on."""
    parts: Parts = request.app.state.parts
    if not _allowed(request, parts.settings.metrics_token.get_secret_value()):
        raise MetricsRefused(
            "GET /metrics needs Authorization: Bearer <KFLEET_METRICS_TOKEN>, or a loopback "
            "client when no token is set"
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CloudCollector(parts, await db_figures(parts)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
