"""Fleet scale: 1k, 2k, 5k, 10k devices on one box against one cloud and one Mosquitto.

For each size, a fresh world: Mosquitto, the cloud (``kfleet cloud run``, SQLite unless
``--database-url``) and the swarm (``kfleet sim swarm``: light devices speaking the agent's
whole wire protocol, one socket each, in one process; why light: ``kfleet/world/swarm.py``).
Then, in order:

1. **connect**: every device connects and announces itself; seconds until the cloud's view
   (its ``devices`` table) has all of them online in their session;
2. **steady**: ``--steady`` seconds of telemetry only (each device one batch every 30 s, as the
   agent's default): CPU (% of one core) and RSS of the cloud, the broker and the swarm, and
   the ingest lag p99 from the cloud's ``kfleet_ingest_lag_seconds`` histogram (device send
   → handled; bucketed, so "≤ bound");
3. **mass reconnect** (once the cloud's bus queues are empty): every connection breaks at
   once (the broker fires every will) and every device reconnects at once with its next
   ``bd_seq``; seconds until the cloud's view has all of them online in the new session, and
   the cloud's CPU per device over that time;
4. **jobs** (once the queues are empty again): ``--jobs`` receipt jobs at ``--rate``/s, spread
   over the devices, each timed from its POST to the long-poll returning ``succeeded``
   (``benchmarks.job_roundtrip``'s client); p99 and the cloud's CPU ms per job.

    python -m benchmarks.fleet_scale --sizes 1000,2000,5000,10000
    python -m benchmarks.fleet_scale --sizes 300 --steady 5 --jobs 100      # a quick look

Targets (issue 17): 10,000 devices connected and presence correct ≤ 5 s after a mass
reconnect; job p99 ≤ 150 ms at 50 jobs/s. Everything on this box: the figures are only as
good as the machine is quiet (the load average is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks import _servers
from benchmarks.job_roundtrip import one_job, pct
from cloud.stats import LAG_BUCKETS

PREFIX = "fs"


@dataclass
class Row:
    agents: int
    connect_s: float = float("nan")
    steady_cpu: dict[str, float] = field(default_factory=dict)  # % of one core
    rss_mb: dict[str, float] = field(default_factory=dict)
    tele_lag_p99_s: float = float("nan")
    job_p99_ms: float = float("nan")
    job_states: dict[str, int] = field(default_factory=dict)
    cloud_ms_per_job: float = float("nan")
    swarm_reconnect_s: float = float("nan")
    presence_s: float = float("nan")
    cloud_ms_per_device: float = float("nan")  # cloud CPU from the drop until it is idle
    #: from the drop until the cloud's queues are empty (or ``settle`` gave up): the steady
    #: fleet's telemetry and rounds within it count in ``cloud_ms_per_device`` too
    reconnect_window_s: float = float("nan")
    swarm_jobs: int = 0  # jobs the swarm's devices ran (acks sent)
    load_avg: str = ""


class SwarmProc:
    """``kfleet sim swarm`` as a child process, driven over its stdin/stdout."""

    def __init__(self, broker: str, agents: int) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kfleet.world.swarm_cli",
                "--broker",
                broker,
                *self.args(agents),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    @staticmethod
    def args(agents: int) -> list[str]:
        return ["--agents", str(agents), "--prefix", PREFIX]

    def read(self, word: str) -> list[str]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith(word):
            sys.exit(f"the swarm said {line!r}, not {word!r}")
        return line.split()

    def order(self, what: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(what + "\n")
        self.proc.stdin.flush()


def online_in_session(db: Path, bd_seq: int) -> int:
    """Devices the cloud holds online in session ``bd_seq`` (read-only, beside the cloud)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
        (n,) = con.execute(
            "SELECT count(*) FROM devices WHERE id LIKE ? AND online AND bd_seq = ?",
            (f"{PREFIX}-%", bd_seq),
        ).fetchone()
    return int(n)


def until_online(db: Path, agents: int, bd_seq: int, since: float, limit_s: float) -> float:
    """Seconds from ``since`` until the cloud's view has every device online in ``bd_seq``."""
    while online_in_session(db, bd_seq) < agents:
        if time.monotonic() - since > limit_s:
            return float("inf")
        time.sleep(0.05)
    return time.monotonic() - since


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def lag_counts(base: str) -> list[float]:
    """Cumulative counts of the cloud's ingest-lag histogram buckets (``/metrics``, loopback)."""
    text = httpx.get(f"{base}/metrics", timeout=30).text
    counts = {}
    for line in text.splitlines():
        if line.startswith("kfleet_ingest_lag_seconds_bucket{"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            counts[bound] = float(line.rsplit(" ", 1)[1])
    return [counts.get(repr(b), 0.0) for b in LAG_BUCKETS] + [counts.get("+Inf", 0.0)]


def p99_bound(before: list[float], after: list[float]) -> float:
    """The upper bound of the bucket holding the 99th percentile of what arrived between."""
    delta = [a - b for a, b in zip(after, before, strict=True)]
    total = delta[-1]
    if total <= 0:
        return float("nan")
    for bound, cumulative in zip((*LAG_BUCKETS, float("inf")), delta, strict=True):
        if cumulative >= 0.99 * total:
            return bound
    return float("inf")


def settle(base: str, token: str, limit_s: float = 120.0) -> None:
    """Until the cloud has handled what it received (its bus queues empty), so one phase's
    backlog is not measured as the next one's."""
    auth = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        stats = httpx.get(f"{base}/api/v1/stats/bus", headers=auth, timeout=30).json()
        if stats["queue_depth"] == 0:
            return
        time.sleep(0.5)


def steady(row: Row, procs: dict[str, int], base: str, seconds: float) -> None:
    cpu0 = {n: _servers.cpu_seconds(p) for n, p in procs.items()}
    lag0 = lag_counts(base)
    t0 = time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - t0
    row.tele_lag_p99_s = p99_bound(lag0, lag_counts(base))
    row.steady_cpu = {n: (_servers.cpu_seconds(p) - cpu0[n]) / wall * 100 for n, p in procs.items()}
    row.rss_mb = {n: rss_mb(p) for n, p in procs.items()}


async def jobs(row: Row, base: str, token: str, rate: float, count: int, cloud_pid: int) -> None:
    """``count`` receipt jobs at ``rate``/s, open loop, round-robin over the devices."""
    devices = [f"{PREFIX}-{i:05d}" for i in range(1, row.agents + 1)]
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=500)
    auth = {"Authorization": f"Bearer {token}"}
    lat: list[float] = []
    states: Counter[str] = Counter()
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits, headers=auth) as c:
        await asyncio.gather(*(one_job(c, devices[i], i, [], Counter()) for i in range(20)))
        cpu0 = _servers.cpu_seconds(cloud_pid)
        start = time.perf_counter()
        tasks = []
        for i in range(count):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            device = devices[(i * 7919) % len(devices)]  # spread over the fleet, not in order
            tasks.append(asyncio.create_task(one_job(c, device, i, lat, states)))
        await asyncio.gather(*tasks)
        cloud_cpu = _servers.cpu_seconds(cloud_pid) - cpu0
    row.job_states = dict(states)
    row.job_p99_ms = pct(sorted(x * 1000 for x in lat), 99)
    row.cloud_ms_per_job = cloud_cpu / max(1, states["succeeded"]) * 1000


def one_size(agents: int, args: argparse.Namespace) -> Row:
    row = Row(agents)
    with tempfile.TemporaryDirectory(prefix="kf-scale-") as t:
        tmp = Path(t)
        started: list[subprocess.Popen[bytes] | subprocess.Popen[str]] = []
        try:
            mosq, broker = _servers.start_mosquitto(tmp)
            started.append(mosq)
            cloud, base, env = _servers.start_cloud(tmp, broker, None, start_timeout_s=300)
            started.append(cloud)
            _servers.seed_pilot(env)
            token = _servers.admin_token(env)
            db = tmp / "cloud" / "kfleet.db"
            swarm = SwarmProc(broker, agents)
            started.append(swarm.proc)
            t0 = time.monotonic()
            bd_seq = int(swarm.read("ready")[3])
            row.connect_s = until_online(db, agents, bd_seq, t0, args.limit)
            procs = {"cloud": cloud.pid, "broker": mosq.pid, "swarm": swarm.proc.pid}
            steady(row, procs, base, args.steady)
            settle(base, token)
            cpu0, t0 = _servers.cpu_seconds(cloud.pid), time.monotonic()
            swarm.order("drop")
            reconnected = swarm.read("reconnected")
            row.swarm_reconnect_s = float(reconnected[2])
            row.presence_s = until_online(db, agents, int(reconnected[3]), t0, args.limit)
            settle(base, token)  # the CPU of the whole reconnect, not only until presence
            cpu, row.reconnect_window_s = (
                _servers.cpu_seconds(cloud.pid) - cpu0,
                time.monotonic() - t0,
            )
            row.cloud_ms_per_device = cpu / agents * 1000
            asyncio.run(jobs(row, base, token, args.rate, args.jobs, cloud.pid))
            swarm.order("stats")
            counters = json.loads(swarm.read("stats")[1])
            row.swarm_jobs = int(counters.get("jobs_succeeded", 0))
            row.load_avg = " ".join(f"{x:.2f}" for x in os.getloadavg())
            swarm.order("stop")
        finally:
            for proc in reversed(started):
                _servers.stop(proc)
    return row


def print_row(row: Row) -> None:
    cpu, rss = row.steady_cpu, row.rss_mb
    print(
        f"{row.agents:>6} | {row.connect_s:7.1f}"
        f" | {cpu.get('cloud', 0):5.0f}% {rss.get('cloud', 0):5.0f} MB"
        f" | {cpu.get('broker', 0):4.0f}% {rss.get('broker', 0):4.0f} MB"
        f" | {cpu.get('swarm', 0):4.0f}% {rss.get('swarm', 0):4.0f} MB"
        f" | ≤{row.tele_lag_p99_s:g} s | {row.job_p99_ms:7.1f} | {row.cloud_ms_per_job:5.1f}"
        f" | {row.swarm_reconnect_s:6.1f} | {row.presence_s:6.1f} | {row.cloud_ms_per_device:5.2f}"
        f" | {row.reconnect_window_s:6.1f}"
        f" | {row.load_avg}",
        flush=True,
    )
    if set(row.job_states) != {"succeeded"}:
        print(f"         job states: {row.job_states}; the swarm ran {row.swarm_jobs}", flush=True)


HEADER = (
    "agents | connect | cloud cpu, rss | broker cpu, rss | swarm cpu, rss | tele lag p99"
    " | job p99 ms | cloud ms/job | swarm back s | presence s | cloud ms/device"
    " | window s | load avg"
)


def main(argv: list[str] | None = None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,2000,5000,10000")
    ap.add_argument("--steady", type=float, default=20.0, help="seconds of telemetry only")
    ap.add_argument("--rate", type=float, default=50.0, help="jobs per second")
    ap.add_argument("--jobs", type=int, default=500)
    ap.add_argument("--limit", type=float, default=300.0, help="give up on presence after")
    args = ap.parse_args(argv)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # Mosquitto inherits it
    print(
        f"machine             {platform.node()} · {os.cpu_count()} cores · Python "
        f"{platform.python_version()} · load avg {os.getloadavg()} (a shared machine: other "
        "people's work runs beside these figures)"
    )
    print(HEADER, flush=True)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows.append(one_size(size, args))
        print_row(rows[-1])
    return rows


if __name__ == "__main__":
    main()
