"""Telemetry ingest into VictoriaMetrics on this machine.

``--mode store``: the store alone. Points built as the cloud's pipeline builds them (device,
role and five site-level tags) are written through ``cloud.telemetry.influx_store`` (our line
protocol, influxdb-client, gzip level 1) into a private VictoriaMetrics for ``--seconds``;
then VictoriaMetrics is asked how many points it holds. Reports points/s and CPU per 1000
points for this process (building + encoding + HTTP) and for VictoriaMetrics.

    python -m benchmarks.telemetry_ingest --mode store --devices 200 --metrics 1000 --seconds 20

With ``--pipeline`` the points go through the cloud's own ``TelemetryPipeline`` (its buffer
and writer slots) a device's batch at a time, so the writer's CPU is the cloud's whole write
path; ``writer_without_building`` leaves out building the points (the validator's work).

``--mode e2e``: broker + cloud + VictoriaMetrics, fed by simulated devices over MQTT; the cloud
on its embedded SQLite, or ``--postgres URL`` (a fresh database on that server) with
``--clouds N`` processes splitting the device topics through a ``$share`` group:

    python -m benchmarks.telemetry_ingest --mode e2e --devices 100 --metrics 1000 --interval 1.5
    python -m benchmarks.telemetry_ingest --mode e2e ... --postgres postgresql+psycopg://... \
        --clouds 2

Targets (issue #12, end to end with broker and cloud): >= 50,000 points/s sustained; 10,000
agents each sending a batch every 10 s with ingest lag p99 < 2 s. Run it on an idle machine:
on a shared one the figures are what the other processes left over (CPU per point is the
steadier number).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import tempfile
import uuid
from pathlib import Path

from benchmarks._servers import cpu_seconds, stop
from benchmarks._tele_e2e import E2eRun, run_e2e
from benchmarks._tele_store import run_store
from benchmarks._tele_vm import count_points, count_series, start_vm
from tests.faults.databases import fresh_postgres


def store_mode(args: argparse.Namespace) -> dict[str, object]:
    root = f"b{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory(prefix="kf-tele-bench-") as tmp:
        vm, http = start_vm(Path(tmp))
        try:
            vm_cpu0 = cpu_seconds(vm.pid)
            url = f"victoriametrics+{http}?gzip={_gzip(args)}"
            run = asyncio.run(
                run_store(url, root, args.devices, args.metrics, args.seconds, args.pipeline)
            )
            vm_cpu = cpu_seconds(vm.pid) - vm_cpu0
            stored = count_points(http, root, run.first_ts, run.last_ts)
            series = count_series(http, root)
        finally:
            stop(vm)
    per_k = 1000 / max(run.points, 1)
    return {
        "mode": "store",
        "devices": args.devices,
        "metrics": args.metrics,
        "gzip": _gzip(args),
        "through": "pipeline" if args.pipeline else "store.write",
        "sent": run.points,
        "stored": stored,
        "series": series,
        "wall_s": round(run.wall_s, 2),
        "points_per_s": round(run.points / run.wall_s),
        "cpu_ms_per_1000": {
            "writer": round(run.cpu_s * per_k * 1000, 2),
            "writer_encode": round(run.encode_cpu_s * per_k * 1000, 2),
            **(
                {
                    "writer_building_points": round(run.build_cpu_s * per_k * 1000, 2),
                    "writer_without_building": round(
                        (run.cpu_s - run.build_cpu_s) * per_k * 1000, 2
                    ),
                }
                if args.pipeline
                else {}
            ),
            "victoriametrics": round(vm_cpu * per_k * 1000, 2),
        },
        "machine": f"{platform.machine()} {platform.python_version()}",
    }


def _pct(values: list[int], q: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _lags_by_window(lags: list[tuple[int, int]], window_ms: int) -> list[int | None]:
    """p99 of the sampled lags of the batches stamped in each ``window_ms`` of the load:
    a backlog at the start (new series) reads differently from one that grows."""
    if not lags:
        return []
    first = min(ts for ts, _lag in lags)
    windows: dict[int, list[int]] = {}
    for ts, lag in lags:
        windows.setdefault((ts - first) // window_ms, []).append(lag)
    return [_pct(windows.get(i, []), 0.99) for i in range(max(windows) + 1)]


def e2e_mode(args: argparse.Namespace) -> dict[str, object]:
    if args.postgres:
        with fresh_postgres(args.postgres, f"kf_tele_{uuid.uuid4().hex[:8]}") as url:
            run = _run(args, url)
    else:
        run = _run(args, None)
    per_k = 1000 / max(run.stored, 1)
    lags = [lag for _ts, lag in run.lags_ms]
    drained = run.drain_s is not None and run.stored >= run.sent
    return {
        "mode": "e2e",
        "database": "postgresql" if args.postgres else "sqlite",
        "clouds": args.clouds,
        "gzip": _gzip(args),
        "devices": run.devices,
        "metrics": run.metrics,
        "interval_s": run.interval_s,
        "messages": run.messages,
        "sent": run.sent,
        "stored": run.stored,
        "offered_points_per_s": round(run.sent / run.send_s),
        "send_s": round(run.send_s, 2),
        "drain_s": round(run.drain_s, 2) if drained and run.drain_s is not None else None,
        "sustained_points_per_s": (
            round(run.stored / (run.send_s + run.drain_s))
            if drained and run.drain_s is not None
            else None
        ),
        "liveness_interval_s": args.liveness_interval,
        "lag_ms": {
            "warmup_s": args.warmup,
            "batches": len(lags),
            "p50": _pct(lags, 0.5),
            "p99": _pct(lags, 0.99),
            "max": max(lags, default=None),
            "p99_by_5s": _lags_by_window(run.lags_ms, 5000),
        },
        "cpu_ms_per_1000": {k: round(v * per_k * 1000, 2) for k, v in run.cpu_s.items()},
        "cpu_s": {k: round(v, 1) for k, v in run.cpu_s.items()},
        "machine": f"{platform.machine()} {platform.python_version()}",
    }


def _run(args: argparse.Namespace, database_url: str | None) -> E2eRun:
    return run_e2e(
        args.devices,
        args.metrics,
        args.interval,
        args.seconds,
        args.warmup,
        args.liveness_interval,
        database_url,
        args.clouds,
        bool(_gzip(args)),
    )


def _gzip(args: argparse.Namespace) -> int:
    """--gzip, else the mode's default: the store alone 1 (the URL's default), end to end 0
    (cheaper for both sides on loopback; see docs/benchmarks.md)."""
    return int(args.gzip if args.gzip is not None else args.mode == "store")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--mode", choices=("store", "e2e"), default="e2e")
    p.add_argument("--devices", type=int, default=200)
    p.add_argument("--metrics", type=int, default=1000, help="metrics per device per batch")
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument(
        "--pipeline",
        action="store_true",
        help="store mode: hand the points to the cloud's TelemetryPipeline (its buffer and "
        "writer slots, as the cloud runs them) instead of calling the store directly",
    )
    p.add_argument("--interval", type=float, default=10.0, help="e2e: s between a device's batches")
    p.add_argument(
        "--gzip",
        type=int,
        choices=(0, 1),
        default=None,
        help="gzip the write bodies (default: store mode 1, e2e 0)",
    )
    p.add_argument(
        "--warmup", type=float, default=0.0, help="e2e: s of batches left out of the lags"
    )
    p.add_argument(
        "--liveness-interval",
        type=float,
        default=None,
        help="e2e: the cloud's KFLEET_LIVENESS_INTERVAL_S. Registering 10,000 births takes "
        "minutes on a loaded machine; with the default sweep (5 s) the first devices are "
        "marked silent before the load starts and all come back at once",
    )
    p.add_argument(
        "--postgres",
        default="",
        help="e2e: a PostgreSQL server URL (postgresql+psycopg://...); a fresh database is "
        "made on it for the run and dropped after. Default: the cloud's embedded SQLite",
    )
    p.add_argument(
        "--clouds",
        type=int,
        default=1,
        help="e2e: cloud processes splitting the device topics ($share group); > 1 needs "
        "--postgres",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, object]:
    args = parse_args(argv)
    result = store_mode(args) if args.mode == "store" else e2e_mode(args)
    print(json.dumps(result, indent=2))
    if result["stored"] != result["sent"]:
        print(f"LOST: {result['sent']} sent, {result['stored']} stored")
    return result


if __name__ == "__main__":
    main()
