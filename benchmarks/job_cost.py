"""The cloud's work per job, counted rather than timed: SQL statements, commits, HTTP requests
and Python function calls of one receipt job's whole round trip, which a loaded machine does
not disturb (CPU ms are printed too, for the order of magnitude).

The cloud runs in this process (its HTTP API through ASGI, its bus on a private Mosquitto);
``--devices`` fake devices (``tests.cloudkit.FakeDevice``: the wire contract, no agent) answer
each ``job.run`` as the agent does: upload the receipt's proof with the job's grant, then ack
``accepted``, ``running`` and ``succeeded`` (the result naming the proof). A client submits
jobs round-robin and waits for each with the long-poll, ``--concurrency`` at a time. Counts
cover the cloud's side only: the fake devices' MQTT and HTTP calls are theirs, the statements
and requests they cause are the cloud's.

    python -m benchmarks.job_cost --jobs 300
    python -m benchmarks.job_cost --jobs 200 --no-cprofile   # CPU without the profiler
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import os
import pstats
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiosqlite
import httpx
from sqlalchemy import event

from benchmarks import _servers
from cloud.settings import Settings
from cloud.wiring import Parts
from protocols.jobs import AckState
from tests.cloudkit import FakeDevice, running_cloud

PNG = b"\x89PNG\r\n\x1a\n" + b"proof" * 600  # what a proof weighs, near enough


class Counts:
    """SQL statements and commits on the cloud's engine; HTTP requests through its app."""

    def __init__(self) -> None:
        self.statements = self.commits = 0
        #: statements by their first words (``--sql`` prints them)
        self.kinds: Counter[str] = Counter()

    def attach(self, cloud: Parts) -> None:
        engine = cloud.sessions.kw["bind"].sync_engine

        @event.listens_for(engine, "before_cursor_execute")
        def _statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            self.statements += 1
            self.kinds[" ".join(sql.split())[:90]] += 1

        @event.listens_for(engine, "commit")
        def _commit(*_args: Any) -> None:
            self.commits += 1


class HandOffs:
    """Calls handed to aiosqlite's worker thread (each a round trip from the event loop)."""

    def __init__(self) -> None:
        self.count = 0
        #: by the function run there (``_run``: one whole statement, see cloud.db.sqlite_driver)
        self.kinds: Counter[str] = Counter()
        self._original: Any = aiosqlite.Connection._execute

    def __enter__(self) -> HandOffs:
        original = self._original

        async def counted(conn: aiosqlite.Connection, fn: Any, *args: Any, **kw: Any) -> Any:
            self.count += 1
            self.kinds[getattr(fn, "__name__", type(fn).__name__)] += 1
            return await original(conn, fn, *args, **kw)

        aiosqlite.Connection._execute = counted  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *_exc: object) -> None:
        aiosqlite.Connection._execute = self._original  # type: ignore[method-assign]


async def device_loop(dev: FakeDevice, http: httpx.AsyncClient) -> None:
    """Answer every job.run like the agent: proof upload, then the three acks."""
    while True:
        env = await dev.commands.get()
        if getattr(env.body, "op", "") != "job.run":
            continue
        body = env.body
        job_id, uploads = body.job_id, getattr(body.params, "uploads", None)
        await dev.ack(job_id, AckState.ACCEPTED, attempt=body.attempt)
        await dev.ack(job_id, AckState.RUNNING, attempt=body.attempt)
        digest = hashlib.sha256(PNG + job_id.encode()).hexdigest()
        result: dict[str, Any] = {"bytes": 114}
        if uploads:
            r = await http.put(
                f"/api/v1/blobs/{digest}",
                params={"grant": uploads.grant},
                content=PNG + job_id.encode(),
                headers={"content-type": "application/octet-stream"},
            )
            assert r.status_code in (200, 201), r.text
            blob = {"sha256": digest, "content_type": "image/png", "bytes": len(PNG) + 32}
            result["blobs"] = [{**blob, "role": "proof"}]
        await dev.ack(job_id, AckState.SUCCEEDED, attempt=body.attempt, result=result)


async def one_job(http: httpx.AsyncClient, device: str, n: int) -> str:
    lines = [{"type": "text", "text": f"A{n:03d}", "align": "center"}]
    body = {"kind": "print_receipt", "target": {"device_id": device}, "params": {"lines": lines}}
    r = await http.post("/api/v1/jobs", json=body)
    assert r.status_code == 201, r.text
    r = await http.get(f"/api/v1/jobs/{r.json()['id']}", params={"wait_s": 30})
    return str(r.json()["state"])


async def run(args: argparse.Namespace, broker: str, tmp: Path) -> None:
    # no liveness sweep: fake devices send no heartbeats (and a sweep is no per-job cost)
    settings = Settings(
        data_dir=tmp / "cloud", mqtt_url=broker, demo=True, liveness_interval_s=3600
    )
    async with running_cloud(settings) as (cloud, http):
        devices = [FakeDevice(broker, f"cost-{i:03d}") for i in range(args.devices)]
        for dev in devices:
            await dev.__aenter__()
            async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
                await dev.birth()
                await sub.wait_for(lambda v: v == "online", 10)
        loops = [asyncio.create_task(device_loop(d, http)) for d in devices]
        sem = asyncio.Semaphore(args.concurrency)

        async def gated(n: int) -> str:
            async with sem:
                return await one_job(http, devices[n % len(devices)].device_id, n)

        await asyncio.gather(*(gated(-1 - i) for i in range(20)))  # warm-up
        counts = Counts()
        counts.attach(cloud)
        # the event loop's thread CPU (not wall): time waiting for the GIL or I/O is not counted
        prof = cProfile.Profile(time.thread_time) if args.cprofile else None
        with HandOffs() as hops:
            cpu0, t0 = time.process_time(), time.perf_counter()
            if prof is not None:
                prof.enable()
            states = await asyncio.gather(*(gated(i) for i in range(args.jobs)))
            if prof is not None:
                prof.disable()
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        for dev in devices:
            await dev.__aexit__(None, None, None)
    report(args.jobs, states, counts, hops.count, prof, cpu, wall)
    if args.pstats and prof is not None:
        prof.dump_stats(args.pstats)
    if args.sql:
        for sql, n in counts.kinds.most_common():
            print(f"{n / args.jobs:6.2f}  {sql}")
        for fn, n in hops.kinds.most_common():
            print(f"{n / args.jobs:6.2f}  hand-off: {fn}")


def report(
    jobs: int,
    states: list[str],
    counts: Counts,
    hops: int,
    prof: cProfile.Profile | None,
    cpu: float,
    wall: float,
) -> None:
    print(f"jobs                {jobs}, final states {sorted(set(states))}, {wall:.1f} s")
    print(f"SQL statements/job  {counts.statements / jobs:.2f}")
    print(f"commits/job         {counts.commits / jobs:.2f}")
    print(f"hand-offs/job       {hops / jobs:.2f}  (calls run on aiosqlite's thread)")
    if prof is not None:
        calls = pstats.Stats(prof).total_calls  # type: ignore[attr-defined]
        print(f"Python calls/job    {calls / jobs:.0f}  (cProfile: cloud and fake devices)")
    under = "under cProfile" if prof is not None else "no profiler"
    print(f"CPU ms/job          {cpu / jobs * 1000:.2f}  ({under}, with the fake devices)")
    print(f"load average        {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=300)
    ap.add_argument("--devices", type=int, default=10)
    ap.add_argument("--concurrency", type=int, default=5)
    ap.add_argument("--sql", action="store_true", help="statements per job, by their start")
    ap.add_argument("--pstats", type=Path, help="write the cProfile statistics here")
    ap.add_argument(
        "--no-cprofile",
        dest="cprofile",
        action="store_false",
        help="no Python call counts: the CPU figure without the profiler's own cost",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kf-cost-") as t:
        mosq, broker = _servers.start_mosquitto(Path(t))
        try:
            asyncio.run(run(args, broker, Path(t)))
        finally:
            _servers.stop(mosq)


if __name__ == "__main__":
    main()
