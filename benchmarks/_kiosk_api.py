"""``benchmarks/kiosk.py --part api``: the kiosk-service API under 200 concurrent kiosks.

The outside systems (departments, city platform, SMS, identity platform) run as simulators in
this process; the cloud runs as its own process (``kfleet cloud run``) pointed at them; locust
runs headless as a third process, one user per kiosk, each kiosk with its own enrolled
credentials. Reported: locust's average and p95 per request kind and overall, failures, and
the cloud's CPU per request.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from benchmarks._kiosk_seed import seed
from benchmarks._servers import (
    admin_token,
    cpu_seconds,
    seed_pilot,
    start_cloud,
    start_mosquitto,
)
from kfleet.world.demo_kiosk_platforms import KioskPlatforms, with_kiosk_platforms

SITES = ("qh/hx/golmud/hhl", "qh/hx/golmud/tgls", "qh/hx/golmud/bayi")
LOCUSTFILE = Path(__file__).resolve().parent / "kiosk_locustfile.py"


def settings_env(settings: dict[str, Any]) -> dict[str, str]:
    """Cloud settings as the ``KFLEET_*`` environment the cloud process reads."""
    return {
        f"KFLEET_{k.upper()}": v if isinstance(v, str) else json.dumps(v)
        for k, v in settings.items()
    }


async def enroll_kiosks(base: str, token: str, n: int) -> list[tuple[str, str]]:
    """``n`` kiosks enrolled as a technician would: a token each, traded for credentials."""
    headers = {"Authorization": f"Bearer {token}"}
    out: list[tuple[str, str]] = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for i in range(n):
            site = SITES[i % len(SITES)]
            minted = await http.post(
                "/api/v1/enrollment-tokens",
                json={"site": site, "role": "kiosk", "device_id": f"bench-kiosk-{i:03d}"},
                headers=headers,
            )
            minted.raise_for_status()
            got = await http.post("/api/v1/enroll", json={"token": minted.json()["token"]})
            got.raise_for_status()
            mqtt = got.json()["mqtt"]
            out.append((mqtt["username"], mqtt["password"]))
    return out


def read_stats(prefix: Path) -> dict[str, Any]:
    """Locust's ``*_stats.csv``: per request name and the aggregate."""
    rows = list(csv.DictReader((prefix.parent / f"{prefix.name}_stats.csv").open()))
    out: dict[str, Any] = {}
    for r in rows:
        out[r["Name"]] = {
            "requests": int(r["Request Count"]),
            "failures": int(r["Failure Count"]),
            "avg_ms": round(float(r["Average Response Time"]), 1),
            "p95_ms": float(r["95%"]) if r["95%"] != "N/A" else None,
            "p99_ms": float(r["99%"]) if r["99%"] != "N/A" else None,
            "per_s": round(float(r["Requests/s"]), 1),
        }
    return out


async def run_locust(plan: Path, base: str, users: int, seconds: int, out: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(users), "-r", str(max(1, users // 10)), "-t", f"{seconds}s",
        "--host", base, "--csv", str(out), "--only-summary", "--loglevel", "WARNING",
        env={**os.environ, "KFLEET_BENCH_KIOSK": str(plan)},
    )  # fmt: skip
    await proc.wait()


async def measure_api(users: int, seconds: int, database_url: str | None) -> dict[str, Any]:
    """Start everything, run locust, stop everything; the figures."""
    with tempfile.TemporaryDirectory(prefix="kfleet-bench-kiosk-") as tmpdir:
        tmp = Path(tmpdir)
        broker, broker_url = start_mosquitto(tmp)
        platforms = KioskPlatforms()
        try:
            async with with_kiosk_platforms(True, {}, platforms) as sims:
                extra = settings_env(sims)
                cloud, base, env = start_cloud(tmp, broker_url, database_url, extra_env=extra)
                try:
                    seed_pilot(env)
                    token = await asyncio.to_thread(admin_token, env)  # its own loop
                    names = await seed(base, token, platforms)
                    devices = await enroll_kiosks(base, token, users)
                    plan = tmp / "plan.json"
                    plan.write_text(json.dumps({"devices": devices, **names}))
                    cpu0 = cpu_seconds(cloud.pid)
                    await run_locust(plan, base, users, seconds, tmp / "locust")
                    cpu = cpu_seconds(cloud.pid) - cpu0
                    stats = read_stats(tmp / "locust")
                finally:
                    cloud.terminate()
                    cloud.wait(30)
        finally:
            broker.terminate()
            broker.wait(10)
    total = stats.get("Aggregated", {})
    return {
        "kiosks": users,
        "seconds": seconds,
        "by_request": stats,
        "cloud_cpu_ms_per_request": round(cpu / max(total.get("requests", 1), 1) * 1000, 2),
    }
