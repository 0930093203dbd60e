"""Agent upgrade (issue 12): the new agent process is started while the old one still runs
(same device id, same data directory: its journal and outbox), then the old one is stopped —
while jobs flow. No job is lost, none is printed twice: the new process waits for the old
one's data directory (``edge_agent.instance_lock``) instead of fighting it for the device's
MQTT session."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from cloud.settings import Settings
from simulators.escpos_printer import EscPosPrinterSim
from tests.cloudkit import running_cloud
from tests.faults.ledger import TERMINAL, device_online, printed, submit, transitions, wait_state
from tests.faults.procs import AgentProcess, Mosquitto, agent_toml, eventually, tail

SITE = "qh/hx/golmud/hhl"
JOBS_PER_STEP = 5


async def test_a_new_agent_taking_over_from_the_old_one_loses_and_repeats_no_job(
    tmp_path: Path, uid: str, broker: Mosquitto, printers: list[EscPosPrinterSim]
) -> None:
    kiosk = f"kiosk-up-{uid}"
    config = agent_toml(
        tmp_path / "agent" / "agent.toml",
        device_id=kiosk,
        broker_url=broker.url,
        printer_port=printers[0].port,
        site=SITE,
        status_timeout_s=5.0,  # a new agent's start-up loads these 2 shared cores
    )
    settings = Settings(
        data_dir=tmp_path / "cloud",
        mqtt_url=broker.url,
        demo=True,
        dispatch_interval_s=0.2,
        ack_timeout_s=2.0,
        reconcile_after_s=3.0,
    )
    settings.data_dir.mkdir()
    jobs: dict[str, str] = {}
    old, new = AgentProcess(config), AgentProcess(config)
    new.log = config.parent / "agent-new.log"
    async with running_cloud(settings) as (_cloud, http):

        async def step(name: str) -> None:
            for i in range(JOBS_PER_STEP):
                tag = f"{name}-{i}-{uid}"
                jobs[(await submit(http, kiosk, tag))["id"]] = tag

        with old, new:
            old.start()
            await device_online(http, kiosk)
            await step("old")
            first = (await http.get(f"/api/v1/devices/{kiosk}")).json()["bd_seq"]
            new.start()  # the upgrade: the new version comes up beside the old one ...
            await eventually(lambda: _new_is_up(http, kiosk, first, new), 60, "the new agent")
            await step("both")
            await asyncio.to_thread(old.stop)  # ... and the old one is stopped (SIGTERM)
            await step("new")
            for job_id in jobs:
                done = await _settled(http, job_id, old, new)
                assert done["state"] == "succeeded", done
                assert (await transitions(http, job_id)).count("succeeded") == 1
            assert new.running(), tail(new.log)
    got = printed(printers[0].out_dir)
    assert sorted(got.elements()) == sorted(jobs.values())  # each once


async def _new_is_up(
    http: httpx.AsyncClient, kiosk: str, first: int, new: AgentProcess
) -> bool | None:
    """True once the new process runs: waiting for the old one's data directory (its log
    says so), or — were nothing to stop it — on the broker in a session of its own."""
    if new.log.is_file() and "another agent process uses" in new.log.read_text():
        return True
    device = (await http.get(f"/api/v1/devices/{kiosk}")).json()
    return True if device["online"] and device["bd_seq"] != first else None


async def _settled(
    http: httpx.AsyncClient, job_id: str, old: AgentProcess, new: AgentProcess
) -> dict[str, object]:
    try:
        return await wait_state(http, job_id, TERMINAL, timeout=60)
    except AssertionError as err:
        raise AssertionError(f"{err}\nold:\n{tail(old.log)}\nnew:\n{tail(new.log)}") from err
