"""Mosquitto is SIGKILLed and started again on the same port (persistence on) while two agents
send events and telemetry and print jobs; jobs are also submitted while it is down.

Afterwards every job succeeded with exactly one receipt, every event and telemetry batch
reached the cloud, and none was applied twice (what the broker or an outbox sent again is
dropped by the cloud's dedupe)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cloud.wiring import Parts
from simulators.escpos_printer import EscPosPrinterSim
from tests.faults.conftest import CloudEnv
from tests.faults.ledger import TERMINAL, device_online, printed, submit, wait_state
from tests.faults.procs import Mosquitto, agent_toml, eventually, running_agent
from tests.faults.traffic import chatter, events_at_cloud, tele_at_cloud

EVENTS = 150  # per agent
JOBS = 4  # per agent, before the kill and again while the broker is down


async def all_arrived(cloud: Parts, device_id: str, names: list[str]) -> None:
    async def probe() -> bool | None:
        return True if set(names) <= set(await events_at_cloud(cloud, device_id)) else None

    try:
        await eventually(probe, 60, f"every event of {device_id} at the cloud")
    except AssertionError:
        missing = set(names) - set(await events_at_cloud(cloud, device_id))
        raise AssertionError(
            f"{device_id}: {len(missing)} events lost: {sorted(missing)}"
        ) from None


@pytest.mark.sqlite_only(
    "a SIGKILLed Mosquitto loses a QoS 1 message it has acknowledged but neither saved nor "
    "delivered; with the cloud on PostgreSQL lagging behind the agents, 1 run in 4-8 loses an "
    "event that way (tests/faults/README.md)"
)
async def test_broker_killed_and_restarted(
    tmp_path: Path, uid: str, broker: Mosquitto, printer: EscPosPrinterSim, cloud_env: CloudEnv
) -> None:
    cloud, client = cloud_env
    devs = [f"kiosk-a-{uid}", f"kiosk-b-{uid}"]
    async with contextlib.AsyncExitStack() as stack:
        second = await stack.enter_async_context(EscPosPrinterSim(out_dir=tmp_path / "receipts-b"))
        printers = {devs[0]: printer, devs[1]: second}
        agents = [
            await stack.enter_async_context(
                running_agent(
                    agent_toml(
                        tmp_path / dev / "agent.toml",
                        device_id=dev,
                        broker_url=broker.url,
                        printer_port=printers[dev].port,
                    )
                )
            )
            for dev in devs
        ]
        for dev in devs:
            await device_online(client, dev)
        halfway = asyncio.Event()
        traffic = [
            asyncio.create_task(chatter(agents[0], "a", EVENTS, halfway=halfway)),
            asyncio.create_task(chatter(agents[1], "b", EVENTS)),
        ]
        await stack.enter_async_context(_cancel_on_exit(traffic))
        jobs = {dev: [await submit(client, dev, f"{dev}-{i}") for i in range(JOBS)] for dev in devs}

        await halfway.wait()
        broker.kill()
        for dev in devs:  # the cloud takes jobs while the broker is away; they wait
            jobs[dev] += [await submit(client, dev, f"{dev}-{i}") for i in range(JOBS, 2 * JOBS)]
        await broker.start()

        sent = dict(zip(devs, await asyncio.gather(*traffic), strict=True))
        for dev in devs:
            await all_arrived(cloud, dev, sent[dev])
            for j in jobs[dev]:
                done = await wait_state(client, j["id"], TERMINAL, timeout=60)
                assert done["state"] == "succeeded", done
        for agent in agents:  # nothing is left to send, so nothing more can arrive
            async with asyncio.timeout(30):
                await agent.link.publisher.idle.wait()
            assert len(agent.link.outbox) == 0
            assert agent.link.sessions >= 2  # it did lose the broker and come back

    for dev, prefix in zip(devs, "ab", strict=True):
        counts = printed(printers[dev].out_dir)
        assert counts == {j["params"]["lines"][1]["text"][4:]: 1 for j in jobs[dev]}, counts
        events = await events_at_cloud(cloud, dev)
        assert set(events) == set(sent[dev]) and set(events.values()) == {1}, events
        tele = await tele_at_cloud(cloud, dev, prefix)
        assert sorted(tele) == list(range(0, EVENTS, 10)) and set(tele.values()) == {1}, tele


@contextlib.asynccontextmanager
async def _cancel_on_exit(tasks: list[asyncio.Task[list[str]]]) -> AsyncIterator[None]:
    """A failing test must not leave its traffic tasks running."""
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
