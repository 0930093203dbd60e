"""Real MQTT clients for the ACL tests: connect as someone, collect what arrives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

import aiomqtt

WAIT_S = 10.0


class Address(Protocol):
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...


@asynccontextmanager
async def connected(
    broker: Address, username: str | None, password: str | None, *, v5: bool = False
) -> AsyncIterator[aiomqtt.Client]:
    """An aiomqtt client logged in as ``username`` (``None``: anonymous)."""
    proto = aiomqtt.ProtocolVersion.V5 if v5 else aiomqtt.ProtocolVersion.V311
    async with aiomqtt.Client(
        broker.host, broker.port, username=username, password=password, protocol=proto
    ) as client:
        yield client


async def next_message(client: aiomqtt.Client) -> aiomqtt.Message:
    """The next message delivered to ``client``, within a generous bound."""
    async with asyncio.timeout(WAIT_S):
        return await anext(aiter(client.messages))


async def connect_refused(broker: Address, username: str | None, password: str | None) -> int:
    """Try to log in; return the CONNACK code of the refusal (fails if it was accepted)."""
    try:
        async with connected(broker, username, password):
            pass
    except aiomqtt.MqttCodeError as err:
        return int(getattr(err.rc, "value", err.rc) or -1)
    raise AssertionError(f"{username!r} was let in")
