"""The outbox on a real Mosquitto that goes away and comes back, and across agent restarts."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from edge_agent.agent import Agent
from edge_agent.config import AgentConfig, parse_config
from kfleet.world.net import free_port, wait_port
from protocols.envelope import Envelope, decode
from protocols.jobs import AckState
from protocols.messages import AckBody, EventBody, EventKind, Metric, TelemetryBody
from protocols.topics import DeviceChannel
from tests.conftest import mosquitto_binary

TIMEOUT = 15.0
ACK, EVT, TELE = DeviceChannel.ACK, DeviceChannel.EVT, DeviceChannel.TELE


class Broker:
    """Our own Mosquitto, stopped and started by the test; it keeps sessions across restarts."""

    def __init__(self, workdir: Path) -> None:
        self.binary, self.port = mosquitto_binary(), free_port()
        workdir.mkdir()
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {workdir}/\n"
            "max_queued_messages 0\nset_tcp_nodelay true\nlog_dest none\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "-c", str(self.conf)])
        wait_port("127.0.0.1", self.port)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()  # Mosquitto saves its sessions on SIGTERM
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker(tmp_path / "mosquitto")
    b.start()
    try:
        yield b
    finally:
        b.stop()


def make_config(url: str, dev: str, data_dir: Path, **outbox: int) -> AgentConfig:
    return parse_config(
        {
            "device_id": dev,
            "role": "kiosk",
            "site": "qh/hx/golmud/hhl",
            "data_dir": str(data_dir),
            "health_interval_s": 3600,
            "tele_interval_s": 3600,
            "mqtt": {"url": url, "reconnect_min_s": 0.05, "reconnect_max_s": 0.3},
            "outbox": outbox,
        },
        source="test",
    )


@asynccontextmanager
async def subscriber(broker: Broker, dev: str) -> AsyncIterator[aiomqtt.Client]:
    """The cloud's side: a persistent session, so nothing is lost while it is away."""
    async with aiomqtt.Client(
        "127.0.0.1", broker.port, identifier=f"sub-{dev}", clean_session=False
    ) as client:
        await client.subscribe(f"kf/v1/dev/{dev}/+", qos=1)
        yield client


async def register(broker: Broker, dev: str) -> None:
    """Make the subscriber's persistent session exist before anything is published."""
    async with subscriber(broker, dev):
        pass


async def collect(client: aiomqtt.Client, until: Any) -> list[tuple[str, Envelope[Any]]]:
    """(channel, envelope) of ack/evt/tele messages, in arrival order, until ``until(got)``."""
    got: list[tuple[str, Envelope[Any]]] = []
    async with asyncio.timeout(TIMEOUT):
        async for msg in client.messages:
            channel = str(msg.topic).rsplit("/", 1)[-1]
            if channel in ("ack", "evt", "tele") and isinstance(msg.payload, bytes):
                got.append((channel, decode(msg.payload)))
                if until(got):
                    return got
    raise AssertionError("the subscription ended")


def ack(n: int) -> AckBody:
    return AckBody(job_id=f"j-{n}", state=AckState.SUCCEEDED, attempt=1)


def event(n: int) -> EventBody:
    return EventBody(kind=EventKind.MESSAGE_REJECTED, reason="test", data={"n": n})


def tele(n: int) -> TelemetryBody:
    return TelemetryBody(metrics=[Metric(name="n", value=n, ts=1)])


def number(env: Envelope[Any]) -> int:
    body = env.body
    if isinstance(body, AckBody):
        return int(body.job_id[2:])
    if isinstance(body, EventBody):
        return int(body.data["n"])
    return int(body.metrics[0].value)


async def wait_down(agent: Agent) -> None:
    agent.link.link_failed.clear()
    async with asyncio.timeout(TIMEOUT):
        await agent.link.link_failed.wait()
    assert not agent.connected.is_set()


async def test_messages_made_while_the_broker_is_down_arrive_once_acks_first(
    broker: Broker, tmp_path: Path, uid: str
) -> None:
    dev = f"ob-{uid}"
    await register(broker, dev)
    agent = Agent(make_config(broker.url, dev, tmp_path / "data", max_rows=30))
    task = asyncio.create_task(agent.run())
    try:
        async with asyncio.timeout(TIMEOUT):
            await agent.wait_connected()
        broker.stop()
        await wait_down(agent)
        expected: list[tuple[str, int]] = []
        for n in range(40):  # 10 acks, 10 events, 20 telemetry batches: over 30 rows
            channel = (ACK, EVT, TELE, TELE)[n % 4]
            body = {ACK: ack, EVT: event, TELE: tele}[channel](n)
            assert await agent.link.publish(channel, body) or channel is TELE
            expected.append((channel.value, n))
        shed = agent.link.outbox.counters["shed_tele"]
        assert shed == 10  # 40 messages, 30 rows: the ten oldest telemetry batches
        assert {m.name: m.value for m in agent.telemetry().metrics}["outbox_shed_tele"] == shed
        assert len(agent.link.outbox) == 30
        shed_numbers = sorted(n for c, n in expected if c == "tele")[:shed]
        survivors = [(c, n) for c, n in expected if n not in shed_numbers]

        broker.start()  # the broker is back: the agent reconnects and replays the outbox
        async with subscriber(broker, dev) as client:
            got = await collect(client, lambda got: len(got) >= len(survivors))
            async with asyncio.timeout(TIMEOUT):
                await agent.link.publisher.idle.wait()
            # one more of each: once they arrive, a duplicate of the others would have too
            await agent.link.publish(ACK, ack(1000))
            await agent.link.publish(EVT, event(1001))
            got += await collect(client, lambda more: {number(e) for _, e in more} >= {1000, 1001})
        arrived = [(c, number(e)) for c, e in got]
        # once each; acks and events first (they were all waiting), each class in order
        urgent = [(c, n) for c, n in survivors if c != "tele"]
        telemetry = [(c, n) for c, n in survivors if c == "tele"]
        assert arrived == [*urgent, *telemetry, ("ack", 1000), ("evt", 1001)]
        assert len({e.id for _, e in got}) == len(got)
        assert len(agent.link.outbox) == 0
    finally:
        await agent.stop()
        await task


async def test_a_restarted_agent_replays_its_outbox_with_the_same_ids(
    broker: Broker, tmp_path: Path, uid: str
) -> None:
    dev = f"ob-{uid}"
    await register(broker, dev)
    config = make_config(broker.url, dev, tmp_path / "data")
    first = Agent(config)
    task = asyncio.create_task(first.run())
    try:
        async with asyncio.timeout(TIMEOUT):
            await first.wait_connected()
        broker.stop()
        await wait_down(first)
        for n in range(6):
            channel = (ACK, EVT, TELE)[n % 3]
            await first.link.publish(channel, {ACK: ack, EVT: event, TELE: tele}[channel](n))
        waiting = [(e.channel.value, e.msg_id) for e in first.link.outbox.after(0, 100)]
        assert len(waiting) == 6
    finally:
        await first.stop()  # with the broker down: the outbox stays on disk
        await task

    broker.start()
    second = Agent(config)
    task = asyncio.create_task(second.run())
    try:
        async with subscriber(broker, dev) as client:
            got = await collect(client, lambda got: len(got) >= 6)
            # the same envelopes; acks and events before telemetry, each class in order
            first_urgent = sorted(waiting, key=lambda w: w[0] == "tele")
            assert [(c, e.id) for c, e in got] == first_urgent
            assert [number(e) for _, e in got] == [0, 1, 3, 4, 2, 5]
            async with asyncio.timeout(TIMEOUT):
                await second.link.publisher.idle.wait()
        assert len(second.link.outbox) == 0
    finally:
        await second.stop()
        await task
