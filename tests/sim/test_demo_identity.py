"""``kfleet demo`` sets identities up as a real site would: it prints a generated admin login
(once), enrolls every device with a one-time token, and its broker refuses anonymous clients.
Run as a user runs it (a subprocess), twice on one data directory."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt

from kfleet.world.demo import PILOT_KIOSKS
from tests.conftest import CLI_PROCESS_S


async def _demo_banner(data_dir: Path) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "kfleet", "demo", "--port", "0", "--data-dir", str(data_dir)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    async with asyncio.timeout(CLI_PROCESS_S):
        while "Press Ctrl-C to stop." not in (lines or [""])[-1]:
            lines.append((await proc.stdout.readline()).decode(errors="replace"))
    return proc, "".join(lines)


async def _stop(proc: asyncio.subprocess.Process) -> None:
    proc.send_signal(signal.SIGINT)
    async with asyncio.timeout(60):
        assert await proc.wait() == 0


def _anonymous_connack(port: int) -> str:
    done: list[str] = []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="outsider")
    client.on_connect = lambda _c, _u, _f, rc, _p: done.append(str(rc))
    client.connect("127.0.0.1", port)
    for _ in range(100):
        client.loop(0.05)
        if done:
            break
    client.disconnect()
    return done[0] if done else "no answer"


async def test_the_demo_prints_its_admin_login_and_enrolls_its_devices(tmp_path: Path) -> None:
    proc, banner = await _demo_banner(tmp_path / "data")
    try:
        base = re.search(r"console\s+(http://\S+)/", banner)
        login = re.search(r"login\s+admin / (\S+)", banner)
        token = re.search(r"KFLEET_TOKEN=(kfa_\S+)", banner)
        broker = re.search(r"broker\s+mqtt://127\.0\.0\.1:(\d+)", banner)
        assert base and login and token and broker, banner
        async with httpx.AsyncClient(base_url=base[1], timeout=10) as http:
            r = await http.post(
                "/api/v1/auth/login", json={"username": "admin", "password": login[1]}
            )
            assert r.status_code == 200, r.text
            auth = {"Authorization": f"Bearer {token[1]}"}
            tokens = (await http.get("/api/v1/enrollment-tokens", headers=auth)).json()["items"]
            used = {t["used_by_device"] for t in tokens if t["state"] == "used"}
            assert used == {k.device_id for k in PILOT_KIOSKS}
            devices = (await http.get("/api/v1/devices", headers=auth)).json()
            assert all(d["online"] for d in devices) and len(devices) == len(PILOT_KIOSKS)
        refused = await asyncio.to_thread(_anonymous_connack, int(broker[1]))
        assert refused == "Not authorized", refused
    finally:
        await _stop(proc)

    proc, banner = await _demo_banner(tmp_path / "data")  # again: same admin, new enrollments
    try:
        assert "admin / " not in banner and "reset-password admin" in banner, banner
        base = re.search(r"console\s+(http://\S+)/", banner)
        token = re.search(r"KFLEET_TOKEN=(kfa_\S+)", banner)
        assert base and token
        async with httpx.AsyncClient(base_url=base[1], timeout=10) as http:
            auth = {"Authorization": f"Bearer {token[1]}"}
            devices = (await http.get("/api/v1/devices", headers=auth)).json()
            assert all(d["online"] for d in devices) and len(devices) == len(PILOT_KIOSKS)
    finally:
        await _stop(proc)
