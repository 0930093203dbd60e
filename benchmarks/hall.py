"""The hall: how fast a call reaches the screens, and how many tickets a site can take.

Mosquitto + the real cloud (``kfleet cloud run``, SQLite unless ``--database-url``) on this
machine; the pilot halls plus 10 benchmark windows at each of the three pilot sites. First
``--tickets`` tickets are taken at each site over REST (8 at a time): the sustained ticket
rate. Then the 30 windows call next every ``--every`` seconds (uniform), start and complete, for
``--seconds``; a subscriber of ``kf/v1/site/#`` (what every hall-screen agent is) times each
call from just before ``call-next`` is sent to the ``live`` body naming it. Target (issue 13):
p99 ≤ 300 ms; ≥ 1,000 tickets/hour per site sustained.

    python -m benchmarks.hall [--seconds 60] [--tickets 300] [--every 2 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks._hall_load import (
    BENCH_WINDOWS,
    SITES,
    Called,
    Seen,
    bench_halls,
    latencies_ms,
    open_windows,
    take_tickets,
    watch_live,
    window_loop,
)
from benchmarks._servers import (
    admin_token,
    cpu_seconds,
    seed_pilot,
    start_cloud,
    start_mosquitto,
    stop,
)
from cloud.db.session import make_engine, make_sessions
from cloud.hall.seed import seed_halls


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def _seed_bench_windows(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with make_sessions(engine)() as s:
            await seed_halls(s, bench_halls())
            await s.commit()
    finally:
        await engine.dispose()


async def _measure(
    base: str, token: str, broker: str, args: argparse.Namespace, cloud_pid: int
) -> dict[str, object]:
    seen = Seen()
    watcher = asyncio.create_task(watch_live(broker, seen))
    await asyncio.wait_for(seen.ready.wait(), 15)
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=40)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30, limits=limits) as http:
        await open_windows(http)
        cpu0 = cpu_seconds(cloud_pid)
        taken, took_s = await take_tickets(http, args.tickets)
        cpu_tickets = cpu_seconds(cloud_pid) - cpu0
        called, rng = Called(), random.Random(7)
        until = time.monotonic() + args.seconds
        cpu1 = cpu_seconds(cloud_pid)
        await asyncio.gather(
            *(
                window_loop(http, site, n, until, tuple(args.every), called, rng)
                for site in SITES
                for n in BENCH_WINDOWS
            )
        )
        cpu_calls = cpu_seconds(cloud_pid) - cpu1
    await asyncio.sleep(1.0)  # let the last live bodies arrive before counting the missing
    watcher.cancel()
    lat, missing = latencies_ms(called, seen)
    calls = len(called.sent)
    return {
        "tickets": {
            "taken": taken,
            "seconds": round(took_s, 2),
            "per_hour_per_site": round(taken / len(SITES) / took_s * 3600),
            "cloud_cpu_ms_per_ticket": round(cpu_tickets / max(taken, 1) * 1000, 2),
        },
        "calls": {
            "windows": len(SITES) * len(BENCH_WINDOWS),
            "every_s": args.every,
            "calls": calls,
            "per_s": round(calls / args.seconds, 2),
            "empty": called.empty,
            "never_seen": missing,
            "call_to_screen_ms": {
                "p50": _pct(lat, 0.5),
                "p99": _pct(lat, 0.99),
                "max": _pct(lat, 1.0),
            },
            "cloud_cpu_ms_per_call": round(cpu_calls / max(calls, 1) * 1000, 2),
            "live_bodies": seen.bodies,
        },
        "machine": f"{platform.machine()} {platform.python_version()}",
    }


def main(argv: list[str] | None = None) -> dict[str, object]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--tickets", type=int, default=300, help="tickets taken at each site first")
    p.add_argument(
        "--every", type=float, nargs=2, default=[2.0, 5.0], help="s between a window's calls"
    )
    p.add_argument("--database-url", default="")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kfleet-hall-bench-") as tmp_name:
        tmp = Path(tmp_name)
        broker, broker_url = start_mosquitto(tmp)
        cloud = None
        try:
            cloud, base, env = start_cloud(tmp, broker_url, args.database_url or None)
            seed_pilot(env)
            db = (
                args.database_url
                or f"sqlite+aiosqlite:///{Path(env['KFLEET_DATA_DIR']) / 'kfleet.db'}"
            )
            asyncio.run(_seed_bench_windows(db))
            result = asyncio.run(_measure(base, admin_token(env), broker_url, args, cloud.pid))
        finally:
            if cloud is not None:
                stop(cloud)
            stop(broker)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
