"""A network partition between an agent and its broker (a TCP proxy the test controls cuts
every connection and refuses new ones), for a few seconds of traffic, then healed.

While partitioned the agent keeps working: a job it had accepted prints, and its acks, 300
events and telemetry wait in its durable outbox; a job submitted meanwhile waits at the
cloud. After healing: every event and telemetry batch arrived once and in order, each job
printed once, and each job's acks were applied in order (accepted → running → succeeded)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from simulators.escpos_printer import EscPosPrinterSim
from tests.faults.conftest import CloudEnv
from tests.faults.ledger import TERMINAL, device_online, printed, submit, transitions, wait_state
from tests.faults.procs import Mosquitto, agent_toml, eventually, running_agent
from tests.faults.proxy import TcpProxy
from tests.faults.traffic import chatter, event_order, tele_at_cloud

EVENTS = 300


async def test_partition_then_heal(
    tmp_path: Path, uid: str, broker: Mosquitto, printer: EscPosPrinterSim, cloud_env: CloudEnv
) -> None:
    cloud, client = cloud_env
    dev = f"kiosk-{uid}"
    async with TcpProxy(broker.port) as proxy:
        config = agent_toml(
            tmp_path / "agent" / "agent.toml",
            device_id=dev,
            broker_url=f"mqtt://127.0.0.1:{proxy.port}",
            printer_port=printer.port,
            status_timeout_s=10,
        )
        async with running_agent(config) as agent:
            await device_online(client, dev)
            printer.faults.hold_after_bytes = 0  # the first job waits at the printer
            first = await submit(client, dev, f"first-{uid}")
            await printer.wait_held(1)
            await wait_state(client, first["id"], {"accepted"})

            agent.link.link_failed.clear()
            proxy.partition()
            async with asyncio.timeout(10):
                await agent.link.link_failed.wait()
            printer.faults.hold_after_bytes = None
            printer.release()  # it prints while partitioned: its acks must wait
            queued = await submit(client, dev, f"queued-{uid}")
            sent = await chatter(agent, "p", EVENTS)
            async with asyncio.timeout(10):
                while agent.counters["jobs_succeeded"] < 1:  # noqa: ASYNC110 (in-process state, bounded)
                    await asyncio.sleep(0.05)
            assert not agent.connected.is_set() and proxy.refused > 0
            assert len(agent.link.outbox) >= EVENTS + EVENTS // 10 + 2  # events, tele, acks
            assert (await wait_state(client, first["id"], {"accepted"}))["state"] == "accepted"

            proxy.heal()

            async def all_events() -> bool | None:
                return True if len(set(await event_order(cloud, dev))) >= EVENTS else None

            await eventually(all_events, 60, "every event at the cloud")
            for job in (first, queued):
                done = await wait_state(client, job["id"], TERMINAL, timeout=60)
                assert done["state"] == "succeeded", done
            async with asyncio.timeout(30):
                await agent.link.publisher.idle.wait()
            assert len(agent.link.outbox) == 0

    assert await event_order(cloud, dev) == sent  # once each, in the order they were made
    tele = await tele_at_cloud(cloud, dev, "p", distinct=EVENTS // 10)
    assert sorted(tele) == list(range(0, EVENTS, 10)) and set(tele.values()) == {1}, tele
    assert printed(printer.out_dir) == {f"first-{uid}": 1, f"queued-{uid}": 1}
    assert await transitions(client, first["id"]) == [
        "queued",
        "dispatched",
        "accepted",
        "running",
        "succeeded",
    ]
    assert (await transitions(client, queued["id"]))[-1] == "succeeded"
