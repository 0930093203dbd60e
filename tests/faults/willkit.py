"""Shared parts of the Last Will fault tests: a broker that logs why it drops a client, an
agent config with a short keepalive, and presence as the cloud's REST API shows it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.faults.procs import Mosquitto, agent_toml, eventually

#: The agent's MQTT keepalive in these tests (the smallest the agent accepts). Mosquitto
#: drops a client it has heard nothing from for 1.5x this and then publishes its will.
KEEPALIVE_S = 5
#: The promise: the cloud shows a device offline within 1.5x its keepalive.
WILL_BOUND_S = 1.5 * KEEPALIVE_S
#: Mosquitto 2.0 checks keepalives only when its whole-second clock has moved on more than
#: 5 s since the last check (``keepalive.c``: ``last_keepalive_check + 5 < now``), and drops a
#: client once ``now - last_in > floor(1.5 x keepalive)`` on that clock. So after a *silent*
#: loss the will fires up to 6 s (check period) + 1 s (whole seconds) later than 1.5x the
#: keepalive after the client's last packet (which is before the cut); then it travels to
#: the cloud, is committed and seen by a REST poll every 0.1 s (~0.5 s on 2 loaded cores).
SILENT_MARGIN_S = 6 + 1 + 1.0
#: the broker's log file next to its stdout log (see :func:`noting_broker`)
NOTICES = "notices.log"


@asynccontextmanager
async def noting_broker(tmp_path: Path) -> AsyncIterator[Mosquitto]:
    """The suite's Mosquitto, also logging connects and drops (``log_type notice``), so a
    test can tell a will fired by a missed keepalive from one fired by a closed socket.
    Test modules use it as their ``broker`` fixture (the cloud fixture then connects to it)."""
    with Mosquitto(tmp_path / "mosquitto") as b:
        notices = b.log.parent / NOTICES  # stdout is block-buffered; a log file is not
        b.conf.write_text(b.conf.read_text() + f"log_type notice\nlog_dest file {notices}\n")
        await b.start()
        yield b


def agent_config(
    path: Path,
    *,
    device_id: str,
    broker_url: str,
    printer_port: int,
    keepalive_s: int | None = KEEPALIVE_S,
) -> Path:
    """:func:`~tests.faults.procs.agent_toml` with ``mqtt.keepalive_s`` (None: the default)
    and no kiosk screen (several agents of one test would compete for its port)."""
    agent_toml(path, device_id=device_id, broker_url=broker_url, printer_port=printer_port)
    text = path.read_text(encoding="utf-8")
    if keepalive_s is not None:
        text = text.replace("[mqtt]\n", f"[mqtt]\nkeepalive_s = {keepalive_s}\n")
    path.write_text(text + "[screen]\nenabled = false\n", encoding="utf-8")
    return path


async def device(client: httpx.AsyncClient, device_id: str) -> dict[str, Any]:
    """``GET /api/v1/devices/{id}`` (404 is a failure: the device must be known)."""
    r = await client.get(f"/api/v1/devices/{device_id}")
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


async def wait_presence(
    client: httpx.AsyncClient,
    device_id: str,
    *,
    online: bool,
    bd_seq: int | None = None,
    timeout: float = 30.0,  # noqa: ASYNC109
) -> tuple[dict[str, Any], float]:
    """Poll the cloud until it shows ``device_id`` ``online`` (in session ``bd_seq`` if
    given); the device as shown and the ``time.monotonic()`` it was first seen so."""

    async def probe() -> tuple[dict[str, Any], float] | None:
        r = await client.get(f"/api/v1/devices/{device_id}")
        if r.status_code == 404:  # no birth yet
            return None
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
        if found["online"] == online and bd_seq in (None, found["bd_seq"]):
            return found, time.monotonic()
        return None

    state = "online" if online else "offline"
    return await eventually(probe, timeout, f"{device_id} {state} (bd_seq {bd_seq}) at the cloud")


def broker_log(broker: Mosquitto) -> str:
    """What the broker logged so far (connects with their keepalive, drops and why)."""
    return (broker.log.parent / NOTICES).read_text(errors="replace")
