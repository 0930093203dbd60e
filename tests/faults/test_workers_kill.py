"""Three cloud workers on one PostgreSQL share the device topics (``$share``); one is
SIGKILLed under load — jobs to four kiosks, telemetry from two dozen devices — and started
again. No job is lost, none is done twice (one ``succeeded``, one receipt each), and the
survivors show presence changes made while the worker is dead before it is back, although
Mosquitto queues a third of them for the dead worker's session (docs/operations.md, several
workers). How soon (the issue's 5 s) is measured by ``benchmarks/workers_kill.py``.

Several workers need PostgreSQL (docs/operations.md): this case runs on it only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulators.escpos_printer import EscPosPrinterSim
from tests.cloudkit import FakeDevice
from tests.faults import procs
from tests.faults.databases import POSTGRES, fresh_postgres
from tests.faults.ledger import TERMINAL, device_online, transitions, wait_state
from tests.faults.procs import CloudProcess, Mosquitto, running_agent, tail
from tests.faults.willkit import agent_config
from tests.faults.workers_kit import (
    PRESENCE_BOUND_S,
    JobFlow,
    change_presence,
    presence_settles,
    start_workers,
    workers_for,
)
from tests.ops.rolling_kit import TeleSender, receipts

KIOSKS = 4
SENDERS = 24
#: telemetry devices that leave, and new ones that arrive, right after the kill
CHANGES = 6
JOBS_BEFORE_KILL = 12
JOBS_AFTER_RESTART = 12
#: per telemetry device: 48 messages (144 points) a second in all
TELE_PERIOD_S = 0.5


@pytest.fixture(params=[pytest.param(POSTGRES, marks=pytest.mark.postgres)])
def cloud_db(request: pytest.FixtureRequest, uid: str) -> Iterator[str]:
    """This module's database: PostgreSQL only (overrides the suite's sqlite/postgres pair)."""
    server = str(request.getfixturevalue("postgres_url"))
    with fresh_postgres(server, f"kf_workers_{uid}") as url:
        yield url


@pytest.fixture
async def printers(tmp_path: Path) -> AsyncIterator[list[EscPosPrinterSim]]:
    async with AsyncExitStack() as stack:
        sims = [
            await stack.enter_async_context(EscPosPrinterSim(out_dir=tmp_path / f"r{i}"))
            for i in range(KIOSKS)
        ]
        yield sims


@pytest.fixture(autouse=True)
def slow_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three clouds and a restart on two loaded shared cores: a cold start (imports alone)
    was seen taking 23 s at a load average of 12, a restart under the flows over 120 s at 20."""
    monkeypatch.setattr(procs, "START_TIMEOUT_S", 300.0)


@pytest.mark.timeout(1200)  # three cold starts and a restart on two loaded shared cores
async def test_a_worker_killed_under_load_loses_no_job_and_presence_settles(
    tmp_path: Path,
    uid: str,
    broker: Mosquitto,
    printers: list[EscPosPrinterSim],
    cloud_db: str,
) -> None:
    kiosks = [f"kiosk-{i}-{uid}" for i in range(KIOSKS)]
    configs = [
        agent_config(
            tmp_path / k / "agent.toml",
            device_id=k,
            broker_url=broker.url,
            printer_port=p.port,
            keepalive_s=None,
        )
        for k, p in zip(kiosks, printers, strict=True)
    ]
    workers = workers_for(tmp_path, broker, cloud_db, uid, 3)
    a, b, c = workers
    senders = [TeleSender(broker.url, f"tele-{i}-{uid}", TELE_PERIOD_S) for i in range(SENDERS)]
    arrivals = [FakeDevice(broker.url, f"new-{i}-{uid}", peripherals=[]) for i in range(CHANGES)]
    async with AsyncExitStack() as stack:
        for w in workers:
            stack.enter_context(w)
        await start_workers(workers)
        http = await stack.enter_async_context(_client(a))
        via_c = await stack.enter_async_context(_client(c))
        for config in configs:
            await stack.enter_async_context(running_agent(config))
        for d in [*(s.device for s in senders), *arrivals]:
            await stack.enter_async_context(d)
        for s in senders:
            await s.device.birth()
        for dev in [*kiosks, *(s.device.device_id for s in senders)]:
            await device_online(http, dev)
        tele = [asyncio.create_task(s.run()) for s in senders]
        flow = JobFlow(workers, kiosks, uid, period_s=0.15)
        submitting = asyncio.create_task(flow.run())
        stack.callback(stop_all, [*tele, submitting])  # a failure stops the flows first
        try:
            await flow.answered(JOBS_BEFORE_KILL)
            b.kill()
            killed_at = time.monotonic()
            await change_presence(senders[:CHANGES], arrivals)
            changed_at = time.monotonic()
            want = {s.device.device_id: False for s in senders[:CHANGES]}
            want |= {s.device.device_id: True for s in senders[CHANGES:]}
            want |= {d.device_id: True for d in arrivals} | dict.fromkeys(kiosks, True)
            # Presence must settle while the killed worker is still down: Mosquitto keeps
            # queuing the dead member's share of the births and states until it returns, so
            # a cloud that relied on the share alone would wait for the restart. How fast it
            # settles is a figure (benchmarks/workers_kill.py: the bound is
            # PRESENCE_BOUND_S), not an assertion: a loaded machine stretches it.
            settled = await asyncio.gather(*(presence_settles(h, want) for h in (http, via_c)))
            lag = max(settled) - changed_at
            print(
                f"presence settled {lag:.2f} s after the changes "
                f"({max(settled) - killed_at:.2f} s after the kill); the killed worker still "
                f"down (issue 17's bound: {PRESENCE_BOUND_S:g} s)"
            )
            await b.start()
            print(f"the killed worker was back {time.monotonic() - killed_at:.1f} s after the kill")
            done = len(flow.jobs)
            await flow.answered(done + JOBS_AFTER_RESTART)
            flow.stop()
            await submitting
            for s in senders[CHANGES:]:
                s.stop()
            sent = await asyncio.gather(*tele)
            assert min(sent[CHANGES:]) > 0, sent
            async with _client(b) as via_b:  # the restarted worker's view, queue drained
                await presence_settles(via_b, want, timeout=30)
                for tag, job_id in flow.jobs.items():
                    final = await wait_state(via_b, job_id, TERMINAL, timeout=60)
                    assert final["state"] == "succeeded", (tag, final)
                    states = await transitions(via_b, job_id)
                    assert states.count("succeeded") == 1, (job_id, states)
                listed = await via_b.get("/api/v1/jobs", params={"limit": 1})
                assert listed.json()["total"] == len(flow.jobs)  # no key made two jobs
        except AssertionError:
            for w in workers:
                print(f"{w.log}:\n{tail(w.log, 150)}")
            raise
    printed = receipts([p.out_dir for p in printers])
    assert sorted(printed.elements()) == sorted(flow.jobs)  # every job once, nothing else


def stop_all(tasks: list[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()


def _client(worker: CloudProcess) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=worker.base_url, headers=worker.headers, timeout=30)
