"""Several cloud workers on one PostgreSQL under load, one SIGKILLed and restarted: the
scenario of ``test_workers_kill.py`` and ``benchmarks/workers_kill.py``.

The fleet: kiosks (real agents with printer simulators) that take receipt jobs, and telemetry
devices (``TeleSender``) that stream points. Jobs go round robin to the workers that are up,
each with its idempotency key; a POST cut off by the kill is posted again to another worker
with the same key. Right after the kill some telemetry devices leave (their offline state)
and new ones arrive (birth): presence changes a third of which Mosquitto routes to the dead
worker's session. :func:`presence_settles` times how long the survivors take to show them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.cloudkit import FakeDevice
from tests.faults.ledger import receipt
from tests.faults.procs import CloudProcess, Mosquitto
from tests.identity_kit import token_for_database
from tests.ops.rolling_kit import TeleSender

SITE = "qh/hx/golmud/hhl"
#: how long the cloud's view may lag a presence change (issue 17)
PRESENCE_BOUND_S = 5.0


def workers_for(tmp_path: Path, broker: Mosquitto, db: str, uid: str, n: int) -> list[CloudProcess]:
    """``n`` cloud processes on one database splitting the device topics (``$share``)."""
    common = {
        "database_url": db,
        "mqtt_shared_group": f"kf-{uid}",
        "dispatch_interval_s": 0.2,
        "ack_timeout_s": 2.0,
        "reconcile_after_s": 3.0,
        "retry_backoff_s": 0.2,
        "retry_backoff_cap_s": 1.0,
        "reconnect_max_s": 0.5,
        "log_level": "info",  # a failure shows when each bus connected
    }
    return [
        CloudProcess(tmp_path / f"w{i}", broker.url, mqtt_client_id=f"w{i}-{uid}", **common)
        for i in range(n)
    ]


async def start_workers(workers: Sequence[CloudProcess]) -> None:
    """Seed the sites once (one database), then start every worker together. The seed gets
    more time than ``CloudProcess.start`` gives it: at a load average of 18 on the two shared
    cores a seed was seen taking over 60 s."""
    first = workers[0]
    seed = [sys.executable, "-m", "kfleet", "cloud", "seed-pilot"]
    done = await asyncio.to_thread(
        subprocess.run, seed, env=first.env, capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    token = await token_for_database(first.database_url)
    for w in workers:
        w._seeded, w.token = True, token
    await first.start()  # migrates; then the others together
    await asyncio.gather(*(w.start() for w in workers[1:]))


@dataclass
class JobFlow:
    """Submits receipt jobs round robin to the workers that are up until :meth:`stop`."""

    workers: Sequence[CloudProcess]
    kiosks: Sequence[str]
    uid: str
    period_s: float
    #: job id by tag (the idempotency key)
    jobs: dict[str, str] = field(default_factory=dict)
    #: POSTs cut off by a kill and posted again elsewhere
    retried: int = 0
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _count: itertools.count[int] = field(default_factory=itertools.count)
    _progress: asyncio.Condition = field(default_factory=asyncio.Condition)

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            n = next(self._count)
            await self.submit(n)
            with contextlib.suppress(TimeoutError):  # pacing a steady flow
                await asyncio.wait_for(self._stop.wait(), self.period_s)

    async def answered(self, n: int) -> None:
        """Until ``n`` jobs were answered."""
        async with self._progress:
            await self._progress.wait_for(lambda: len(self.jobs) >= n)

    async def submit(self, n: int) -> None:
        """POST job ``n``; a worker that dies under the POST is replaced by the next one up."""
        tag = f"w-{n}-{self.uid}"
        body = {
            "kind": "print_receipt",
            "target": {"device_id": self.kiosks[n % len(self.kiosks)]},
            "params": receipt(tag),
            "idempotency_key": tag,
        }
        for attempt in itertools.count():
            up = [w for w in self.workers if w.running()]
            worker = up[(n + attempt) % len(up)]
            try:
                async with httpx.AsyncClient(
                    base_url=worker.base_url, headers=worker.headers, timeout=30
                ) as http:
                    r = await http.post("/api/v1/jobs", json=body)
            except httpx.TransportError:
                self.retried += 1
                await asyncio.sleep(0.05)  # the dead worker's reaping: next one up
                continue
            assert r.status_code in (200, 201), r.text
            async with self._progress:
                self.jobs[tag] = r.json()["id"]
                self._progress.notify_all()
            return


async def presence(http: httpx.AsyncClient) -> dict[str, bool]:
    """Every device's presence as one worker shows it."""
    r = await http.get("/api/v1/devices", params={"site": SITE})
    assert r.status_code == 200, r.text
    return {d["id"]: d["online"] for d in r.json()}


async def presence_settles(
    http: httpx.AsyncClient,
    want: dict[str, bool],
    timeout: float = 60.0,  # noqa: ASYNC109
) -> float:
    """Poll until the worker shows ``want`` (every device named there); the monotonic time it
    first did."""
    deadline = time.monotonic() + timeout
    while True:
        seen = await presence(http)
        if all(seen.get(d) == up for d, up in want.items()):
            return time.monotonic()
        if time.monotonic() > deadline:
            wrong = {d: seen.get(d) for d, up in want.items() if seen.get(d) != up}
            raise AssertionError(f"presence still wrong after {timeout:g} s: {wrong}")
        await asyncio.sleep(0.1)  # polling another process's view: there is no event


async def change_presence(leaving: Sequence[TeleSender], arriving: Sequence[FakeDevice]) -> None:
    """The leavers say offline (what an agent stopping says), the arrivals announce a birth."""
    for s in leaving:
        s.stop()
    await asyncio.gather(*(s.device.state(False) for s in leaving), *(d.birth() for d in arriving))


def sessions_kept(workers: Sequence[CloudProcess]) -> dict[str, Any]:
    """For a failure message: which worker is up."""
    return {w.env["KFLEET_MQTT_CLIENT_ID"]: w.running() for w in workers}
