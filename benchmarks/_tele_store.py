"""The store alone: points built as the pipeline builds them (device tags + the five site
levels) written through ``influx_store`` as fast as it takes them, for a fixed time; either
by calling the store directly or (``through_pipeline``) through the cloud's own buffer and
writer (``TelemetryPipeline``: what the cloud runs between ingest and the store)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from cloud.clocks import DeviceClocks
from cloud.telemetry.influx_store import InfluxStore
from cloud.telemetry.model import Point
from cloud.telemetry.pipeline import TelemetryPipeline
from cloud.telemetry.tsdb_target import parse_tsdb_url
from cloud.telemetry.validate import Limits
from protocols.telemetry import site_tags


@dataclass
class StoreRun:
    points: int
    wall_s: float
    cpu_s: float  # this process: building the points + encoding + HTTP
    encode_cpu_s: float  # of which: line protocol encoding (measured apart, same points)
    build_cpu_s: float  # of which: building the points (measured around it; pipeline only)
    first_ts: int
    last_ts: int


def fleet_tags(root: str, devices: int) -> list[dict[str, str]]:
    """One tag set per device, over a five-level tree under ``root``."""
    out = []
    for d in range(devices):
        site = f"{root}/p{d % 8}/c{d % 40}/t{d % 400}/h{d % 2000}"
        out.append({"device": f"{root}-k{d:05d}", "role": "kiosk", **site_tags(site)})
    return out


def batch(names: list[str], tag_sets: list[dict[str, str]], ts_ms: int) -> list[Point]:
    """One tele message's worth of points per device: every name, one timestamp."""
    return [
        Point(name, float(i % 97), ts_ms, tags) for tags in tag_sets for i, name in enumerate(names)
    ]


async def run_store(
    url: str, root: str, devices: int, metrics: int, seconds: float, through_pipeline: bool = False
) -> StoreRun:
    """Write ``devices`` × ``metrics`` points per round, rounds 1 ms apart, for ``seconds``."""
    names = [f"bench.m{i:04d}" for i in range(metrics)]
    tag_sets = fleet_tags(root, devices)
    store = InfluxStore(parse_tsdb_url(url))
    write = _through_pipeline if through_pipeline else _direct
    ts = first_ts = int(time.time() * 1000) - 3_600_000
    cpu0, t0 = time.process_time(), time.perf_counter()
    try:
        ts, points, build = await write(store, names, tag_sets, ts, t0 + seconds)
    finally:
        await store.close()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return StoreRun(points, wall, cpu, _encode_cpu(names, tag_sets, points), build, first_ts, ts)


async def _direct(
    store: InfluxStore, names: list[str], tag_sets: list[dict[str, str]], ts: int, until: float
) -> tuple[int, int, float]:
    """Calls of ~10k points, four at once; returns the last timestamp, the points and 0 (the
    CPU of building them is not told apart here)."""
    chunk = max(1, 10_000 // len(names))  # devices per write call (~10k points)
    devices, points = len(tag_sets), 0
    while time.perf_counter() < until:
        ts += 1
        for start in range(0, devices, 4 * chunk):  # four calls (~40k points) in flight
            await asyncio.gather(
                *(
                    store.write(batch(names, tag_sets[i : i + chunk], ts))
                    for i in range(start, min(devices, start + 4 * chunk), chunk)
                )
            )
        points += devices * len(names)
    return ts, points, 0.0


async def _through_pipeline(
    store: InfluxStore, names: list[str], tag_sets: list[dict[str, str]], ts: int, until: float
) -> tuple[int, int, float]:
    """Each round handed to the cloud's pipeline a device at a time (as ingest hands over a
    message), then written out before the next (the wall rate is therefore below the store's;
    the CPU per point is the figure); returns the last timestamp, the points and the CPU
    seconds spent building them."""
    pipeline = TelemetryPipeline(store, None, DeviceClocks(2000), Limits())  # type: ignore[arg-type]
    writer = asyncio.create_task(pipeline.run())
    per_round, points, build = len(tag_sets) * len(names), 0, 0.0
    try:
        while time.perf_counter() < until:
            ts += 1
            for tags in tag_sets:
                cpu0 = time.process_time()
                pts = batch(names, [tags], ts)
                build += time.process_time() - cpu0
                pipeline.enqueue(pts)
            points += per_round
            if not await pipeline.flush(120):
                raise SystemExit(f"the pipeline still held {pipeline.buffer.held} points")
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
    if pipeline.buffer.dropped:
        raise SystemExit(f"the pipeline dropped {pipeline.buffer.dropped} points")
    return ts, points, build


def _encode_cpu(names: list[str], tag_sets: list[dict[str, str]], points: int) -> float:
    """CPU to encode ``points`` points as line protocol, scaled from one round."""
    from cloud.telemetry.line_protocol import LineEncoder

    enc, pts = LineEncoder(), batch(names, tag_sets, 1)
    list(enc.chunks(pts, 5000))  # warm the tag cache, as a long run has it
    cpu0 = time.process_time()
    list(enc.chunks(pts, 5000))
    return (time.process_time() - cpu0) * points / len(pts)
