"""End to end: Mosquitto + the real cloud (``kfleet cloud run``: SQLite, or PostgreSQL with one
or several cloud processes splitting the device topics through a ``$share`` group; its
telemetry pipeline writing to VictoriaMetrics through influx_store) + VictoriaMetrics, all on
this machine, fed by :mod:`benchmarks._tele_load`. Counts what VictoriaMetrics holds at the
end."""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import make_url

from benchmarks._servers import cpu_seconds, seed_pilot, start_cloud, start_mosquitto, stop
from benchmarks._tele_load import Load, device_ids, publish_births, run_load, watch_lag
from benchmarks._tele_vm import count_points, start_vm
from fleet.sites import PILOT_TREE, SiteSpec


def pilot_sites(spec: SiteSpec = PILOT_TREE, parent: str = "") -> list[str]:
    """Every path of the pilot tree (``kfleet cloud seed-pilot``), the devices' sites."""
    path = f"{parent}/{spec.code}".strip("/")
    return [path] + [p for child in spec.children for p in pilot_sites(child, path)]


#: s between the counts that find when the store holds every point (each a query over every
#: series; the drain is known to this resolution plus the query's own time)
DRAIN_POLL_S = 0.5
#: s a cloud process may take to answer /healthz (imports alone take ~10 s on a loaded machine)
CLOUD_START_S = 180.0


@dataclass
class E2eRun:
    devices: int
    metrics: int
    interval_s: float
    sent: int
    messages: int
    stored: int
    send_s: float
    drain_s: float | None  # after the last publish, until VictoriaMetrics held every point
    lags_ms: list[tuple[int, int]]  # (a sampled batch's timestamp, its lag)
    cpu_s: dict[str, float]


def _registered(db: Path | str, prefix: str) -> int:
    """Devices registered so far, read from the cloud's SQLite file or PostgreSQL URL."""
    query = "select count(*) from devices where id like %s"
    if isinstance(db, str):
        dsn = make_url(db).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as conn:
            row = conn.execute(query, (prefix + "%",)).fetchone()
            return int(row[0]) if row else 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
        cur = con.execute(query.replace("%s", "?"), (prefix + "%",))
        return int(cur.fetchone()[0])


def _wait_registered(db: Path | str, prefix: str, n: int, timeout_s: float = 900) -> None:
    deadline = time.monotonic() + timeout_s
    while (done := _registered(db, prefix)) < n:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {done} of {n} devices registered")
        time.sleep(0.5)  # polling another process's database: no event to await


async def _wait_drained(http: str, load: Load, timeout_s: float = 120) -> float | None:
    """When VictoriaMetrics first held every point sent (wall-clock s), polled every
    ``DRAIN_POLL_S`` from the end of the load; None if it did not within ``timeout_s``.
    No forced flush: a point counts once a query sees it, as an operator's would."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stored = await asyncio.to_thread(
            count_points, http, "qh", load.first_ms - 1, load.last_ms + 1, False
        )
        if stored >= load.points:
            return time.time()
        await asyncio.sleep(DRAIN_POLL_S)  # polling the store (a count over every series)
    return None


def _start_clouds(
    tmp: Path,
    broker: str,
    database_url: str | None,
    clouds: int,
    procs: dict[str, subprocess.Popen[bytes]],
) -> None:
    """``clouds`` cloud processes sharing one database, secret and ``$share`` group, each
    added to ``procs`` as soon as it runs, so the caller stops the ones that started when a
    later one does not (at a load average of 25 a start took over 60 s)."""
    extra = {"KFLEET_SECRET_KEY": secrets.token_hex(32)}
    if clouds > 1:
        extra["KFLEET_MQTT_SHARED_GROUP"] = "bench"
    for i in range(clouds):
        name = "cloud" if i == 0 else f"cloud{i + 1}"
        proc, _base, env = start_cloud(tmp, broker, database_url, extra, CLOUD_START_S)
        procs[name] = proc
        if i == 0:
            seed_pilot(env)  # once, before the others start: they find the tree in place


def run_e2e(
    devices_n: int,
    metrics: int,
    interval: float,
    seconds: float,
    warmup: float = 0.0,
    liveness_s: float | None = None,
    database_url: str | None = None,
    clouds: int = 1,
    gzip: bool = False,
) -> E2eRun:
    """One run; ``clouds`` > 1 needs ``database_url`` (processes cannot share a SQLite file
    over a ``$share`` group's load)."""
    if clouds > 1 and not database_url:
        raise SystemExit("--clouds > 1 needs --postgres: the processes share one database")
    prefix = f"b{uuid.uuid4().hex[:5]}"
    with tempfile.TemporaryDirectory(prefix="kf-tele-e2e-") as tmp_name:
        tmp = Path(tmp_name)
        mosq, broker = start_mosquitto(tmp)
        vm, http = start_vm(tmp)
        os.environ["KFLEET_TSDB_URL"] = f"victoriametrics+{http}?gzip={int(gzip)}"
        if liveness_s:  # see --liveness-interval
            os.environ["KFLEET_LIVENESS_INTERVAL_S"] = str(liveness_s)
        procs = {"mosquitto": mosq, "victoriametrics": vm}
        try:
            _start_clouds(tmp, broker, database_url, clouds, procs)
            devices = device_ids(prefix, devices_n)
            asyncio.run(publish_births(broker, devices, pilot_sites()))
            _wait_registered(database_url or tmp / "cloud" / "kfleet.db", prefix, devices_n)
            cpu0 = {k: cpu_seconds(p.pid) for k, p in procs.items()} | {
                "loader": time.process_time()
            }
            t0 = time.time()
            load, lags, done = asyncio.run(
                _measure(http, broker, devices, (metrics, interval, seconds, warmup))
            )
            send_s = load.last_ms / 1000 - t0
            stored = count_points(http, "qh", load.first_ms - 1, load.last_ms + 1)
            cpu = {k: cpu_seconds(p.pid) - cpu0[k] for k, p in procs.items()}
            cpu["loader"] = time.process_time() - cpu0["loader"]
        finally:
            for p in procs.values():
                stop(p)
    return E2eRun(
        devices_n,
        metrics,
        interval,
        load.points,
        load.messages,
        stored,
        send_s,
        None if done is None else max(0.0, done - load.last_ms / 1000),
        lags,
        cpu,
    )


async def _measure(
    http: str, broker: str, devices: list[str], shape: tuple[int, float, float, float]
) -> tuple[Load, list[tuple[int, int]], float | None]:
    """``shape``: metrics per batch, s between a device's batches, s of load, s of warm-up.
    Returns the load, the sampled lags and when the store held every point (None: not
    within 120 s). The drain is polled from the moment the load ends (it used to be looked
    at only after a fixed wait of the interval + 3 s, which the drain then always included)."""
    metrics, interval, seconds, warmup = shape
    sampled = devices[:: max(1, len(devices) // 50)]
    load = Load(sent_at={d: [] for d in sampled}, warmup_ms=int(warmup * 1000))
    stop_watch = asyncio.Event()
    watcher = asyncio.create_task(watch_lag(http, load, stop_watch))
    try:
        await run_load(broker, devices, metrics, interval, seconds, load)
        done = await _wait_drained(http, load)
        await asyncio.sleep(1.0)  # the watcher's next polls see the last batches, then stop
    finally:
        stop_watch.set()
    return load, await watcher, done
