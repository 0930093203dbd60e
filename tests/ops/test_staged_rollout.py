"""Staged agent upgrades end to end (issue 17): three kiosks at the three pilot sites, each a
real agent process started by ``kfleet-agent-launch``, on Mosquitto with a real cloud process
whose blob store holds the releases (``kfleet release build`` of this tree).

The rollouts run through the cloud's own service (``POST /api/v1/rollouts``, its gate).

- A good release reaches every site wave by wave: a wave starts only once every device of the
  one before said ``healthy`` and birthed with the new version.
- A bad release (its agent dies at start: it never reaches the broker) is switched back by
  each launcher on its own; the rollout halts at that wave, the next site is never ordered,
  every kiosk is online again on the good version and serves jobs.
- Across every switch: the job journal and the bd_seq stay (a job done before is still in the
  journal after; bd_seq only grows), and no launcher ever runs two agents at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from edge_agent import __version__
from simulators.escpos_printer import EscPosPrinterSim
from tests.faults import procs
from tests.faults.ledger import TERMINAL, device_online, submit, wait_state
from tests.faults.procs import CloudProcess, Mosquitto, agent_toml, tail

from .rollout_kit import FleetTap, LaunchedAgent, publish_release, release_archive, roll_out, tapped

ROOT = "qh/hx/golmud"
SITES = (f"{ROOT}/hhl", f"{ROOT}/tgls", f"{ROOT}/bayi")
GOOD, BAD = "0.2.0", "0.2.1"


async def watch_agents(launchers: list[LaunchedAgent], most: list[int]) -> None:
    """The most agent processes any launcher ran at once (sampled: a child is a /proc entry)."""
    while True:
        most[0] = max([most[0], *(len(x.agents()) for x in launchers)])
        await asyncio.sleep(0.02)  # sampling another process's children: there is no event


def journal_jobs(config: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(config.parent / "data" / "jobs.sqlite3")) as db:
        return {row[0] for row in db.execute("SELECT job_id FROM jobs")}


async def test_a_good_release_rolls_out_wave_by_wave_and_a_bad_one_is_rolled_back(
    tmp_path: Path,
    uid: str,
    broker: Mosquitto,
    printers: list[EscPosPrinterSim],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(procs, "START_TIMEOUT_S", 120.0)  # a cloud and 3 agents on 2 busy cores
    kiosks = [f"kiosk-{site.rsplit('/', 1)[1]}-{uid}" for site in SITES]
    configs = [
        agent_toml(
            tmp_path / k / "agent.toml",
            device_id=k,
            broker_url=broker.url,
            printer_port=printers[n % 2].port,
            site=site,
        )
        for n, (k, site) in enumerate(zip(kiosks, SITES, strict=True))
    ]
    cloud = CloudProcess(tmp_path / "cloud", broker.url, dispatch_interval_s=0.2)
    launchers = [LaunchedAgent(c) for c in configs]
    most = [0]
    with contextlib.ExitStack() as running:
        for proc in (cloud, *launchers):
            running.enter_context(proc)
        await cloud.start()
        good_bytes = release_archive(GOOD, tmp_path / "good.tar.gz")
        bad_bytes = release_archive(BAD, tmp_path / "bad.tar.gz", crashing=True)
        async with tapped(broker.port) as tap, cloud_http(cloud) as http:
            await publish_release(http, GOOD, good_bytes)
            await publish_release(http, BAD, bad_bytes)
            for launcher in launchers:
                launcher.start()
            for k in kiosks:
                await device_online(http, k, timeout=60)
            watcher = asyncio.create_task(watch_agents(launchers, most))
            try:
                await tap.until(
                    lambda: True if all(tap.version_of(k) for k in kiosks) else None, 30, "births"
                )
                assert {tap.version_of(k) for k in kiosks} == {__version__}
                first = await job_done(http, kiosks[0], f"before-{uid}")

                good_id, ended = await roll_out(
                    http, GOOD, ROOT, [[site] for site in SITES], health_window_s=60
                )
                assert ended == "completed", tap.upgrades
                check_good_rollout(tap, kiosks, good_id)
                assert first in journal_jobs(configs[0])  # the new version kept the journal

                bad_id, ended = await roll_out(
                    http, BAD, ROOT, [list(SITES[:2]), list(SITES[2:])], health_window_s=30
                )
                assert ended == "halted", tap.upgrades
                await check_bad_rollout(tap, kiosks, bad_id)
                for k in kiosks:
                    await device_online(http, k, timeout=60)
                    await job_done(http, k, f"after-{k}")
            except AssertionError:
                for launcher in launchers:
                    print(f"--- {launcher.log}:\n{tail(launcher.log, 60)}")
                raise
            finally:
                watcher.cancel()
    assert most[0] == 1, f"a launcher ran {most[0]} agents at once"
    for dev, _, _ in tap.births:
        seqs = [s for d, _, s in tap.births if d == dev]
        assert seqs == sorted(seqs), (dev, seqs)  # bd_seq kept across versions: never back


def check_good_rollout(tap: FleetTap, kiosks: list[str], rid: str) -> None:
    """Each device went downloading → staged → switching → healthy; wave n+1 began after
    wave n was healthy; every device births with the new version."""
    for k in kiosks:
        assert tap.states(k, rid) == ["downloading", "staged", "switching", "healthy"], k
        assert tap.version_of(k) == GOOD
    order = [(dev, d["state"]) for dev, d in tap.upgrades if d["rollout_id"] == rid]
    for before, after in itertools.pairwise(kiosks):
        assert order.index((before, "healthy")) < order.index((after, "downloading")), order
    healthy = [d for dev, d in tap.upgrades if d["rollout_id"] == rid and d["state"] == "healthy"]
    assert {d["previous_version"] for d in healthy} == {__version__}


async def check_bad_rollout(tap: FleetTap, kiosks: list[str], rid: str) -> None:
    """The first wave switched, crashed and came back on its own; the next was never asked."""
    for k in kiosks[:2]:
        # the gate halts at the wave's first failure: the other device may still be coming back
        await tap.until(
            lambda k=k: True if "rolled_back" in tap.states(k, rid) else None, 90, f"{k} back"
        )
        states = tap.states(k, rid)
        assert states[:4] == ["downloading", "staged", "switching", "rolled_back"], (k, states)
        # the halt's own agent.rollback may reach a device already back: it says so again
        assert set(states[4:]) <= {"rolled_back"}, (k, states)
        back = next(
            d
            for dev, d in tap.upgrades
            if dev == k and d["rollout_id"] == rid and d["state"] == "rolled_back"
        )
        assert (back["reason"], back["previous_version"]) == ("crashed", GOOD), back
        await tap.until(lambda k=k: True if tap.version_of(k) == GOOD else None, 30, f"{k} births")
    assert tap.states(kiosks[2], rid) == []  # the rollout halted before its wave


@contextlib.asynccontextmanager
async def cloud_http(cloud: CloudProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=cloud.base_url, headers=cloud.headers, timeout=30
    ) as http:
        yield http


async def job_done(http: httpx.AsyncClient, device: str, tag: str) -> str:
    job = await submit(http, device, tag)
    done = await wait_state(http, str(job["id"]), TERMINAL, timeout=60)
    assert done["state"] == "succeeded", done
    return str(job["id"])
