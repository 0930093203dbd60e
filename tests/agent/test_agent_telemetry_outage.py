"""Telemetry through an outage on a real Mosquitto that is stopped and started again: every
period's batch arrives after the reconnect with its own timestamps, and a telemetry backlog
never holds back a job's ack."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from edge_agent.agent import Agent
from protocols.envelope import wall_ms
from protocols.jobs import AckState
from protocols.messages import AckBody, Metric, TelemetryBody
from protocols.topics import DeviceChannel
from tests.agent.tele_kit import TIMEOUT, tele_config
from tests.agent.test_outbox_mqtt import Broker, broker, collect, register, subscriber, wait_down

__all__ = ["broker"]  # the fixture, used by name

PERIOD = 0.25
OUTAGE_PERIODS = 8


async def test_an_outage_leaves_no_gap_after_reconnect(
    broker: Broker, tmp_path: Path, uid: str
) -> None:
    dev = f"gap-{uid}"
    await register(broker, dev)
    agent = Agent(tele_config(broker.url, dev, tmp_path / "data", tele_interval_s=PERIOD))
    task = asyncio.create_task(agent.run())
    try:
        async with asyncio.timeout(TIMEOUT):
            await agent.wait_connected()
            await agent.tele.wait_batches(2)
            before, down = agent.tele.batches, wall_ms()
            broker.stop()
            await wait_down(agent)
            await agent.tele.wait_batches(agent.tele.batches + OUTAGE_PERIODS)
            up = wall_ms()
            made = agent.tele.batches
        broker.start()
        async with subscriber(broker, dev) as client:
            got = await collect(
                client,
                lambda got: len({e.id for c, e in got if c == "tele"}) >= made + 2,
            )
    finally:
        await agent.stop()
        await task
    sampled = sorted({e.body.metrics[0].ts for c, e in got if c == "tele"})
    assert len(sampled) == len({e.id for c, e in got if c == "tele"})  # one sample per batch
    # none is missing: every batch made from the moment the broker went away until it came
    # back arrived after it, with its own timestamp. (A batch is sampled and stored in one
    # step, so exactly ``made - before`` were sampled in that window; those the broker had
    # acknowledged before it stopped are the broker's to keep, not the agent's.)
    during = [ts for ts in sampled if down < ts <= up]
    assert len(during) == made - before >= OUTAGE_PERIODS, (during, down, up)
    gaps = [b - a for a, b in itertools.pairwise(sampled)]  # period by period (loosely:
    assert max(gaps) < 8 * PERIOD * 1000, gaps  # a loaded machine may wake late)
    assert agent.link.outbox.counters["shed_tele"] == 0


def tele(n: int) -> TelemetryBody:
    return TelemetryBody(metrics=[Metric(name="n", value=n, ts=wall_ms())])


async def test_a_telemetry_backlog_never_holds_back_a_jobs_ack(
    broker: Broker, tmp_path: Path, uid: str
) -> None:
    dev = f"ackfirst-{uid}"
    await register(broker, dev)
    config = tele_config(
        broker.url, dev, tmp_path / "data", tele_interval_s=3600, tele={"backlog_s": 30 * 86400}
    )
    agent = Agent(config)
    task = asyncio.create_task(agent.run())
    backlog = 120
    try:
        async with asyncio.timeout(TIMEOUT):
            await agent.wait_connected()
        broker.stop()
        await wait_down(agent)
        for n in range(backlog):  # a long outage's telemetry
            assert await agent.link.publish(DeviceChannel.TELE, tele(n))
        ack = AckBody(job_id="j-after", state=AckState.SUCCEEDED, attempt=1)
        assert await agent.link.publish(DeviceChannel.ACK, ack)
        broker.start()
        async with subscriber(broker, dev) as client:
            got = await collect(client, lambda got: len(got) >= backlog + 1)
    finally:
        await agent.stop()
        await task
    channels = [c for c, _ in got]
    position = channels.index("ack")
    # the ack went out with the first publishes, not behind 120 telemetry batches
    assert position < config.outbox.max_inflight, position
    tele_values = [int(e.body.metrics[0].value) for c, e in got if c == "tele"]
    assert tele_values == list(range(backlog))  # all of it, in order, after the ack
