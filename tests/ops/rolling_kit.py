"""Parts of the rolling-upgrade tests: telemetry senders that count what they sent, counting
what the cloud stored (straight from PostgreSQL), jobs submitted to whichever instance is up."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

from protocols.envelope import wall_ms
from protocols.messages import Metric, TelemetryBody
from protocols.topics import DeviceChannel
from tests.cloudkit import FakeDevice
from tests.faults.ledger import printed, receipt
from tests.faults.procs import CloudProcess

#: metrics per telemetry message (each a point in the store)
NAMES = ("sys.cpu_pct", "sys.mem_pct", "sys.load1")
STEP_MS = 2000


class TeleSender:
    """A device that only sends telemetry, one batch every ``period_s`` until :meth:`stop`;
    counts the points the broker acknowledged (QoS1)."""

    def __init__(self, url: str, device_id: str, period_s: float) -> None:
        self.device = FakeDevice(url, device_id, peripherals=[])
        self.period_s = period_s
        self.sent_points = 0
        self._stop = asyncio.Event()
        # a point every 2 s of its own time from 3 h ago: all in the past, and no series
        # over the cloud's flood limit (60 points per minute of the points' own time)
        self._base_ms = wall_ms() - 3 * 3_600_000

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> int:
        """Send until stopped; returns the points sent."""
        seq = 0
        while not self._stop.is_set():
            ts = self._base_ms + seq * STEP_MS
            body = TelemetryBody(
                metrics=[Metric(name=n, value=float(seq % 97), ts=ts) for n in NAMES]
            )
            await self.device.publish(DeviceChannel.TELE, body)
            self.sent_points += len(NAMES)
            seq += 1
            with contextlib.suppress(TimeoutError):  # pacing a steady flow
                await asyncio.wait_for(self._stop.wait(), self.period_s)
        return self.sent_points


def stored_points(database_url: str, device_id: str) -> int:
    """Points the cloud stored for ``device_id``: ``tele_points`` (the telemetry pipeline's
    SQL store), or the ``metrics`` rows of a cloud from before it."""
    libpq = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(libpq.render_as_string(hide_password=False)) as conn:
        row = conn.execute("SELECT to_regclass('public.tele_points') IS NOT NULL").fetchone()
        table = "tele_points" if row and row[0] else "metrics"
        found = conn.execute(
            f"SELECT count(*) FROM {table} WHERE device_id = %s",
            (device_id,),
        ).fetchone()
    return int(found[0]) if found else 0


async def submit_to_any(
    clouds: list[CloudProcess], n: int, target: dict[str, str], tag: str
) -> dict[str, Any]:
    """``POST /api/v1/jobs`` to the ``n``-th instance that is up (round robin)."""
    up = [c for c in clouds if c.running()]
    cloud = up[n % len(up)]
    body = {
        "kind": "print_receipt",
        "target": target,
        "params": receipt(tag),
        "idempotency_key": tag,
    }
    async with httpx.AsyncClient(base_url=cloud.base_url, headers=cloud.headers) as http:
        r = await http.post("/api/v1/jobs", json=body)
    assert r.status_code == 201, r.text
    job: dict[str, Any] = r.json()
    return job


def receipts(dirs: list[Path]) -> Counter[str]:
    """Receipts printed per tag over every printer."""
    total: Counter[str] = Counter()
    for out_dir in dirs:
        total.update(printed(out_dir))
    return total
