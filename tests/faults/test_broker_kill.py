"""Mosquitto is SIGKILLed and started again on the same port (persistence on) while two agents
send events and telemetry and print jobs, with messages in flight; more jobs are submitted
while it is down.

The kill is timed by what the parts have seen, not by the clock: kiosk A's printer holds its
first receipt half printed (``hold_after_bytes``), and an MQTT tap between A and the broker
lets the broker take A's job acks but swallows their PUBACKs — the window in which a broker
dies with a message delivered but not acknowledged, held open. Once the cloud has applied
those acks (A's jobs ``running``/``accepted``) the broker is killed. So at the kill: A's
``job.run``s are delivered, its acks sit in its QoS 1 inflight window, a receipt is half
printed, events and telemetry are under way.

Afterwards every job succeeded with exactly one receipt, every event and telemetry batch
reached the cloud once, and the dedupe paths did run: the cloud dropped at least one copy
per swallowed PUBACK (``duplicate_message``), and A answered the cloud's re-sent ``job.run``s
from its journal instead of printing again (``jobs_duplicate``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from cloud.wiring import Parts
from edge_agent.agent import Agent
from simulators.escpos_printer import EscPosPrinterSim
from tests.faults.conftest import CloudEnv
from tests.faults.ledger import (
    STATUS_QUERIES,
    TERMINAL,
    bus_stats,
    device_online,
    job,
    printed,
    receipt_bytes,
    submit,
    wait_state,
)
from tests.faults.mqtt_tap import (
    DOWN,
    PUBACK,
    PUBLISH,
    UP,
    MqttTap,
    Packet,
    Verdict,
    passes,
)
from tests.faults.procs import Mosquitto, agent_toml, eventually, running_agent
from tests.faults.traffic import Pause, chatter, events_at_cloud, tele_at_cloud

EVENTS = 150  # per agent
JOBS = 4  # per agent, before the kill and again while the broker is down
EVENT_PUBACKS = 3  # events of A whose PUBACK the tap swallows (beside every job ack)


class SwallowPubacks:
    """A tap rule: forward ``device_id``'s job acks and its next ``events`` events to the
    broker, drop the broker's PUBACKs of them (so they stay in the agent's inflight window)."""

    def __init__(self, device_id: str, events: int) -> None:
        self.device_id = device_id
        self.events: list[str] = []
        """Names of the events whose PUBACK is dropped."""
        self._events_left = events
        self._taken: set[int] = set()

    def __call__(self, p: Packet) -> Verdict:
        if p.direction == UP and p.type == PUBLISH and p.packet_id is not None:
            if p.topic == f"kf/v1/dev/{self.device_id}/ack":
                self._taken.add(p.packet_id)
            elif p.topic == f"kf/v1/dev/{self.device_id}/evt" and self._events_left > 0:
                self._events_left -= 1
                self.events.append(str(p.body()["data"]["n"]))
                self._taken.add(p.packet_id)
        elif p.direction == DOWN and p.type == PUBACK and p.packet_id in self._taken:
            self._taken.discard(p.packet_id)
            return Verdict.DROP
        return Verdict.PASS


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


async def in_flight(
    cloud: CloudEnv, jobs: list[dict[str, Any]], printer: EscPosPrinterSim, rule: SwallowPubacks
) -> None:
    """Until A's first receipt is half printed and the cloud has applied what the tap let
    through without its PUBACK: A's first job ``running``, the others ``accepted``, and the
    events."""
    await printer.wait_held(1, timeout=30)
    parts, client = cloud

    async def applied() -> bool | None:
        states = [(await job(client, j["id"]))["state"] for j in jobs]
        events = await events_at_cloud(parts, rule.device_id)
        return (
            True
            if sorted(states) == ["accepted"] * (JOBS - 1) + ["running"]
            and len(rule.events) == EVENT_PUBACKS
            and set(rule.events) <= set(events)
            else None
        )

    await eventually(applied, 30, "A's acks and events to be applied by the cloud")


async def test_broker_killed_with_messages_in_flight(
    tmp_path: Path, uid: str, broker: Mosquitto, printer: EscPosPrinterSim, cloud_env: CloudEnv
) -> None:
    cloud, client = cloud_env
    devs = [f"kiosk-a-{uid}", f"kiosk-b-{uid}"]
    async with contextlib.AsyncExitStack() as stack:
        tap = await stack.enter_async_context(MqttTap(broker.port))
        second = await stack.enter_async_context(EscPosPrinterSim(out_dir=tmp_path / "receipts-b"))
        printers = {devs[0]: printer, devs[1]: second}
        urls = {devs[0]: tap.url, devs[1]: broker.url}
        agents = [
            await stack.enter_async_context(
                running_agent(
                    agent_toml(
                        tmp_path / dev / "agent.toml",
                        device_id=dev,
                        broker_url=urls[dev],
                        printer_port=printers[dev].port,
                        status_timeout_s=30,  # the held printer keeps A's job waiting
                    )
                )
            )
            for dev in devs
        ]
        for dev in devs:
            await device_online(client, dev)
        pauses = {dev: Pause() for dev in devs}
        traffic = [
            asyncio.create_task(chatter(agent, p, EVENTS, pause=pauses[dev]))
            for agent, p, dev in zip(agents, "ab", devs, strict=True)
        ]
        await stack.enter_async_context(_cancel_on_exit(traffic))
        jobs = await _mid_flight(cloud_env, tap, printer, devs)
        await _held_traffic_arrived(cloud, dict(zip(devs, traffic, strict=True)), pauses)
        broker.kill()
        await _restart(cloud_env, broker, tap, printer, devs, jobs)
        for pause in pauses.values():
            pause.release()
        sent = dict(zip(devs, await asyncio.gather(*traffic), strict=True))
        await _everything_arrived(cloud, client, agents, devs, jobs, sent)
        swallowed = sum(p.type == PUBACK for p in tap.dropped)
        resent = agents[0].counters["jobs_duplicate"]

    for dev, prefix in zip(devs, "ab", strict=True):
        counts = printed(printers[dev].out_dir)
        assert counts == {j["params"]["lines"][1]["text"][4:]: 1 for j in jobs[dev]}, counts
        events = await events_at_cloud(cloud, dev)
        assert set(events) == set(sent[dev]) and set(events.values()) == {1}, events
        tele = await tele_at_cloud(cloud, dev, prefix, distinct=EVENTS // 10)
        assert sorted(tele) == list(range(0, EVENTS, 10)) and set(tele.values()) == {1}, tele
    # the dedupe paths ran: a copy dropped per swallowed PUBACK; job.runs answered, not rerun
    assert swallowed >= JOBS + 1 + EVENT_PUBACKS  # A's accepted ×4, one running, events
    stats = await bus_stats(client)
    assert stats["ignored"].get("duplicate_message", 0) >= swallowed, stats
    assert resent > 0


async def _mid_flight(
    cloud: CloudEnv, tap: MqttTap, printer: EscPosPrinterSim, devs: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Submit the jobs and return once A is mid-flight."""
    client = cloud[1]
    first = f"{devs[0]}-0"
    printer.faults.hold_after_bytes = STATUS_QUERIES + receipt_bytes(first) // 2
    tap.rule = rule = SwallowPubacks(devs[0], EVENT_PUBACKS)
    jobs = {dev: [await submit(client, dev, f"{dev}-{i}") for i in range(JOBS)] for dev in devs}
    await in_flight(cloud, jobs[devs[0]], printer, rule)
    assert printed(printer.out_dir) == {}  # the first receipt is only half out
    return jobs


async def _held_traffic_arrived(
    cloud: Parts, traffic: dict[str, asyncio.Task[list[str]]], pauses: dict[str, Pause]
) -> None:
    """Hold the background events and wait until the cloud has what was sent before: at the
    kill, what is in flight is what the tap holds open (see :class:`Pause`)."""
    for (dev, pause), prefix in zip(pauses.items(), "ab", strict=True):
        await pause.hold(traffic[dev])
        await all_arrived(cloud, dev, list(pause.sent))
        batches = len(range(0, len(pause.sent), 10))  # a telemetry batch every 10th event

        async def tele_arrived(
            dev: str = dev, prefix: str = prefix, n: int = batches
        ) -> bool | None:
            return True if len(await tele_at_cloud(cloud, dev, prefix)) >= n else None

        await eventually(tele_arrived, 60, f"{dev}'s telemetry at the cloud")


async def _restart(
    cloud: CloudEnv,
    broker: Mosquitto,
    tap: MqttTap,
    printer: EscPosPrinterSim,
    devs: list[str],
    jobs: dict[str, list[dict[str, Any]]],
) -> None:
    """With the broker dead: A prints offline, more jobs are submitted; then restart it."""
    client = cloud[1]
    tap.partition()  # the broker's port is closed: so is the tap's
    printer.faults.hold_after_bytes = None
    printer.release()  # A prints offline; its acks wait in its outbox
    for dev in devs:  # the cloud takes jobs while the broker is away; they wait
        jobs[dev] += [await submit(client, dev, f"{dev}-{i}") for i in range(JOBS, 2 * JOBS)]
    tap.rule = passes
    await broker.start()
    await tap.heal()


async def _everything_arrived(
    cloud: Parts,
    client: Any,
    agents: list[Agent],
    devs: list[str],
    jobs: dict[str, list[dict[str, Any]]],
    sent: dict[str, list[str]],
) -> None:
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


@contextlib.asynccontextmanager
async def _cancel_on_exit(tasks: list[asyncio.Task[list[str]]]) -> AsyncIterator[None]:
    """A failing test must not leave its traffic tasks running."""
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
