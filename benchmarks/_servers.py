"""Processes a benchmark starts: Mosquitto, the cloud, the simulated fleet. All on loopback."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from cloud.db.session import make_engine, make_sessions
from cloud.demo_access import demo_token
from kfleet.world.net import free_port, wait_port


def start_mosquitto(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        sys.exit("mosquitto is not installed: apt-get install mosquitto, or pass --broker URL")
    port = free_port()
    conf = tmp / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_inflight_messages 0\nmax_connections -1\n"
        "set_tcp_nodelay true\nlog_dest none\n"
    )
    proc = subprocess.Popen([binary, "-c", str(conf)])
    wait_port("127.0.0.1", port, timeout=15)
    return proc, f"mqtt://127.0.0.1:{port}"


def start_cloud(
    tmp: Path,
    broker_url: str,
    database_url: str | None,
    extra_env: dict[str, str] | None = None,
    start_timeout_s: float = 60.0,
) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    port = free_port()
    env = {**os.environ, **(extra_env or {})}
    env.update(
        KFLEET_DATA_DIR=str(tmp / "cloud"),
        KFLEET_MQTT_URL=broker_url,
        # the caller's, when several clouds must share one (tokens, signed links)
        KFLEET_SECRET_KEY=(extra_env or {}).get("KFLEET_SECRET_KEY") or secrets.token_hex(32),
        KFLEET_LOG_LEVEL="warning",  # no per-request access log in the measured path
    )
    if database_url:
        env["KFLEET_DATABASE_URL"] = database_url
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kfleet",
            "cloud",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + start_timeout_s
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)  # not left behind, retrying a broker that is gone
            sys.exit(f"the cloud did not start within {start_timeout_s:g} s")
        time.sleep(0.1)
    return proc, base, env


def seed_pilot(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "kfleet", "cloud", "seed-pilot"], env=env, check=True)


def admin_token(env: dict[str, str]) -> str:
    """An administrator's API token over the pilot tree, made in the cloud's database (after
    :func:`seed_pilot`: the schema is migrated), for the benchmark's HTTP calls."""
    url = env.get("KFLEET_DATABASE_URL") or (
        f"sqlite+aiosqlite:///{Path(env['KFLEET_DATA_DIR']) / 'kfleet.db'}"
    )

    async def mint() -> str:
        engine = make_engine(url)
        try:
            return await demo_token(make_sessions(engine), "qh")
        finally:
            await engine.dispose()

    return asyncio.run(mint())


def start_fleet(tmp: Path, broker_url: str, agents: int, prefix: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kfleet",
            "sim",
            "fleet",
            "--broker",
            broker_url,
            "--agents",
            str(agents),
            "--prefix",
            prefix,
            "--data-dir",
            str(tmp / "fleet"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("ready"):
        sys.exit(f"the simulated fleet did not start: {line!r}")
    return proc


def cpu_seconds(pid: int) -> float:
    """User+system CPU time of a process (Linux /proc), to show where the time goes."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
