"""Helpers for the agent telemetry tests: a config, a tele subscriber, points by name."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiomqtt

from edge_agent.agent import Agent
from edge_agent.config import AgentConfig, parse_config
from protocols.envelope import Envelope, decode
from protocols.messages import Metric, TelemetryBody
from protocols.mqtt_url import parse_mqtt_url

TIMEOUT = 20.0


def tele_config(url: str, dev: str, data_dir: Path, **extra: Any) -> AgentConfig:
    raw: dict[str, Any] = {
        "device_id": dev,
        "role": "kiosk",
        "site": "qh/hx/golmud/hhl",
        "data_dir": str(data_dir),
        "health_interval_s": 3600,
        "tele_interval_s": 0.25,
        "mqtt": {"url": url, "reconnect_min_s": 0.05, "reconnect_max_s": 0.3},
    }
    raw.update(extra)
    return parse_config(raw, source="test")


@asynccontextmanager
async def running(agent: Agent) -> AsyncIterator[None]:
    task = asyncio.create_task(agent.run())
    try:
        async with asyncio.timeout(TIMEOUT):
            await agent.wait_connected()
        yield
    finally:
        await agent.stop()
        await task


@asynccontextmanager
async def tele_subscriber(
    url: str, dev: str, *, persistent: bool = False
) -> AsyncIterator[aiomqtt.Client]:
    """The cloud's side of ``dev``'s telemetry (a persistent session keeps what it missed)."""
    ep = parse_mqtt_url(url)
    async with aiomqtt.Client(
        ep.host, ep.port, identifier=f"tele-{dev}", clean_session=not persistent
    ) as client:
        await client.subscribe(f"kf/v1/dev/{dev}/+", qos=1)
        yield client


Batch = tuple[Envelope[Any], TelemetryBody]


async def batches_until(client: aiomqtt.Client, done: Callable[[list[Batch]], bool]) -> list[Batch]:
    """Every ``tele`` message, in arrival order, until ``done(got)``."""
    got: list[Batch] = []
    async with asyncio.timeout(TIMEOUT):
        async for msg in client.messages:
            if not str(msg.topic).endswith("/tele") or not isinstance(msg.payload, bytes):
                continue
            env = decode(msg.payload)
            got.append((env, env.body))
            if done(got):
                return got
    raise AssertionError("the subscription ended")


def by_name(body: TelemetryBody, peripheral: str | None = None) -> dict[str, Metric]:
    """Points of one batch by name (only those tagged with ``peripheral`` if given)."""
    return {
        m.name: m
        for m in body.metrics
        if (m.tags.get("peripheral") == peripheral if peripheral else not m.tags)
    }
