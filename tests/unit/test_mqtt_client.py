"""A connection the broker side closes before CONNACK fails the connect with that reason at
once — aiomqtt alone waited its whole timeout and then said "Operation timed out"."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiomqtt
import pytest

from protocols.mqtt_client import CLOSED_BEFORE_CONNACK, Client

#: far longer than the test may take: reaching it is the bug
TIMEOUT_S = 60


@asynccontextmanager
async def hanging_up(reset: bool) -> AsyncIterator[int]:
    """A listener that reads the CONNECT, then closes (FIN) or resets (RST) the connection."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)  # the CONNECT has begun to arrive
        if reset:
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
async def test_a_connection_closed_before_connack_fails_the_connect_at_once(reset: bool) -> None:
    async with hanging_up(reset) as port:
        client = Client("127.0.0.1", port, timeout=TIMEOUT_S)
        async with asyncio.timeout(TIMEOUT_S / 2):  # aiomqtt alone hits its timeout first
            with pytest.raises(aiomqtt.MqttError) as err:
                async with client:
                    pass
    assert CLOSED_BEFORE_CONNACK in str(err.value)
