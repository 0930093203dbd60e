"""A device's telemetry history for chart tests, sent the way an agent replays its outbox: tele
batches over MQTT whose points carry their own (past) timestamps, through the cloud's real
ingest, pipeline and SQL store."""

from __future__ import annotations

import asyncio

import httpx

from protocols.envelope import wall_ms
from protocols.messages import Metric, TelemetryBody
from protocols.topics import DeviceChannel
from tests.cloudkit import FakeDevice

#: the dense history: one point a minute, the newest now, this many in all
DENSE_MINUTES = 50
#: the sparse history: one CPU point an hour, from 2 h to this many hours back
SPARSE_HOURS = 100
PRINTER = {"peripheral": "rp1", "kind": "receipt_printer"}


def cpu_at(k: int) -> float:
    """CPU k minutes ago: 20 … 70 %, so the line crosses the chart's upper half."""
    return 20.0 + (k % 6) * 10


def dense(now_ms: int) -> list[Metric]:
    out: list[Metric] = []
    for k in range(DENSE_MINUTES):  # k = 0: now, newer than the device's birth
        ts = now_ms - k * 60_000
        out += [
            Metric(name="sys.cpu_pct", value=cpu_at(k), ts=ts),
            Metric(name="sys.mem_pct", value=55.0, ts=ts),
            Metric(name="sys.disk_pct", value=40.0, ts=ts),
            Metric(name="sys.temp_c", value=45.0 + k % 3, ts=ts),
            Metric(name="link.rtt_ms", value=10.0 + k % 5, ts=ts),
            Metric(
                name="peripheral.health", value=1.0 if 10 <= k < 15 else 0.0, ts=ts, tags=PRINTER
            ),
            Metric(name="peripheral.paper", value=2.0 if k < 5 else 0.0, ts=ts, tags=PRINTER),
            Metric(name="peripheral.pages", value=float(1000 - k), ts=ts, tags=PRINTER),
        ]
    return out


def sparse(now_ms: int) -> list[Metric]:
    return [
        Metric(name="sys.cpu_pct", value=30.0, ts=now_ms - h * 3_600_000)
        for h in range(2, SPARSE_HOURS + 1)
    ]


async def send_history(device: FakeDevice, client: httpx.AsyncClient) -> int:
    """Publish the history once the cloud has the device's birth (its newest point must be
    newer than the birth's peripheral health); the current time (ms) it was built from."""
    async with asyncio.timeout(20):
        while True:  # the API offers no push for "device registered"
            if (await client.get(f"/api/v1/devices/{device.device_id}")).json().get("online"):
                break
            await asyncio.sleep(0.05)
    now = wall_ms()
    await device.publish(DeviceChannel.TELE, TelemetryBody(metrics=dense(now)))
    await device.publish(DeviceChannel.TELE, TelemetryBody(metrics=sparse(now)))
    return now


async def wait_stored(client: httpx.AsyncClient, device: str, now_ms: int) -> None:
    """Until the store answers the whole history (ingest is asynchronous; no push for it)."""
    start = now_ms - (SPARSE_HOURS + 1) * 3_600_000
    params = {"name": "sys.cpu_pct", "device": device, "step": "60"}
    params |= {"start": str(start), "end": str(now_ms + 1)}  # the end is exclusive
    want = DENSE_MINUTES + SPARSE_HOURS - 1
    async with asyncio.timeout(30):
        while True:
            r = await client.get("/api/v1/telemetry/series", params=params)
            assert r.status_code == 200, r.text
            if sum(len(s["points"]) for s in r.json()["series"]) >= want:
                return
            await asyncio.sleep(0.1)
