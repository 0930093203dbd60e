"""Hall benchmark: call-next → the hall screens' LiveBody on the broker.

The cloud as its own process (uvicorn; SQLite unless --database-url) on a real Mosquitto;
3 sites × 10 windows, each window calling next every few seconds (then start and complete,
two more live publications), tickets taken open-loop at the same pace per site. Latency of a
call is from just before its ``POST …/call-next`` to the first retained ``live`` body that
lists the call, as a subscriber (a hall screen's view) receives it. Prints p50/p99/max, the
ticket rate per site sustained, and the cloud's CPU per call (with start and complete).

    python -m benchmarks.hall --sites 3 --windows 10 --every 3 --seconds 60

Targets (issue 13): p99 ≤ 300 ms; 1,000 tickets/hour per site sustained.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks import _servers
from benchmarks._hall_load import Seen, configure, quantile, ticket_loop, watch, window_loop

PILOT_SITES = ["qh/hx/golmud/hhl", "qh/hx/golmud/tgls"]


async def sites_for(http: httpx.AsyncClient, n: int) -> list[str]:
    out = PILOT_SITES[:n]
    for i in range(len(out), n):
        code = f"bench{i}"
        r = await http.post(
            "/api/v1/sites",
            json={"parent": PILOT_SITES[0], "code": code, "name": f"基准{i}", "level": "village"},
        )
        r.raise_for_status()
        out.append(f"{PILOT_SITES[0]}/{code}")
    return out


async def run(args: argparse.Namespace, base: str, token: str, broker: str, cloud_pid: int) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=base, headers=auth, timeout=60, limits=limits) as http:
        sites = await sites_for(http, args.sites)
        for site in sites:
            await configure(http, site, args.windows, backlog=args.windows * 2)
        seen, ready = Seen(), asyncio.Event()
        watcher = asyncio.create_task(watch(broker, sites, seen, ready))
        await ready.wait()
        per_s = args.windows / args.every  # tickets per site per second, the calling pace
        warm_until = time.perf_counter() + args.warmup
        until = warm_until + args.seconds
        loops = [
            window_loop(http, s, str(n), args.every, until, seen)
            for s in sites
            for n in range(1, args.windows + 1)
        ]
        loops += [ticket_loop(http, s, per_s, until, seen) for s in sites]
        cpu = _CloudCpu(cloud_pid)
        work = asyncio.gather(*loops)
        await asyncio.sleep(args.warmup)
        seen.measuring = True
        cpu.start(seen)
        await work
        seen.measuring = False
        cpu.stop(seen)
        await asyncio.sleep(1)
        watcher.cancel()
    report(args, seen, cpu, sites)


class _CloudCpu:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.cpu0 = self.cpu = 0.0
        self.calls0 = self.calls = 0
        self.wall0 = self.wall = 0.0

    def start(self, seen: Seen) -> None:
        self.cpu0 = _servers.cpu_seconds(self.pid)
        self.calls0 = seen.outcomes["200"]
        self.wall0 = time.perf_counter()

    def stop(self, seen: Seen) -> None:
        self.cpu = _servers.cpu_seconds(self.pid) - self.cpu0
        self.calls = seen.outcomes["200"] - self.calls0
        self.wall = time.perf_counter() - self.wall0


def report(args: argparse.Namespace, seen: Seen, cpu: _CloudCpu, sites: list[str]) -> None:
    lat = seen.latencies
    print(f"machine             {platform.machine()} {platform.node()} (shared: see docs)")
    print(f"sites x windows     {len(sites)} x {args.windows}, call every ~{args.every} s")
    print(
        f"measured            {cpu.wall:.1f} s, calls answered {cpu.calls}, "
        f"outcomes {dict(seen.outcomes)}"
    )
    if lat:
        print(
            f"call → live (ms)    p50 {quantile(lat, 0.5) * 1000:.0f}  p99 "
            f"{quantile(lat, 0.99) * 1000:.0f}  max {max(lat) * 1000:.0f}  (n={len(lat)})"
        )
    issued = seen.tickets["201"]
    total_s = args.seconds + args.warmup
    print(
        f"tickets             {issued} taken ({dict(seen.tickets)}), "
        f"{issued / len(sites) / total_s * 3600:.0f} per site per hour"
    )
    if cpu.calls:
        print(
            f"cloud cpu           {cpu.cpu / cpu.calls * 1000:.1f} ms per call (+start+complete+"
            f"tickets), {cpu.cpu / cpu.wall * 100:.0f}% of one core; live bodies seen {seen.bodies}"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sites", type=int, default=3)
    p.add_argument("--windows", type=int, default=10)
    p.add_argument("--every", type=float, default=3.0, help="seconds between a window's calls")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--warmup", type=float, default=5.0)
    p.add_argument("--database-url", default=None)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="kf-hall-bench-") as tmp_s:
        tmp = Path(tmp_s)
        broker_proc, broker = _servers.start_mosquitto(tmp)
        cloud, base, env = _servers.start_cloud(tmp, broker, args.database_url)
        try:
            _servers.seed_pilot(env)
            token = _servers.admin_token(env)
            asyncio.run(run(args, base, token, broker, cloud.pid))
        finally:
            _servers.stop(cloud)
            _servers.stop(broker_proc)


if __name__ == "__main__":
    main()
