"""Small network helpers for starting servers on one machine: a free port, waiting for a
listener, and telling early whether a broker lets us in at all."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
import uuid
from collections.abc import Iterator

import aiomqtt

from protocols.mqtt_url import MqttEndpoint


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def refusing_port(host: str = "127.0.0.1") -> Iterator[int]:
    """A port that refuses connections for as long as the block runs: bound, never listening,
    so no other process can take it meanwhile (a merely free port can be, by a parallel test)."""
    with socket.socket() as s:
        s.bind((host, 0))
        yield int(s.getsockname()[1])


def wait_port(host: str, port: int, timeout: float = 10.0) -> None:
    """Block until something accepts TCP connections on ``host:port`` (a server we started)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # polling a port another process is opening: no event to await


async def broker_refusal(endpoint: MqttEndpoint, timeout_s: float) -> str | None:
    """None if the broker accepts an MQTT connection within ``timeout_s``, else why not.

    A TCP connect alone proves little: some networks accept every connection and then say
    nothing, so this goes as far as the broker's CONNACK."""
    v5 = endpoint.version == "5"
    client = aiomqtt.Client(
        endpoint.host,
        endpoint.port,
        username=endpoint.username,
        password=endpoint.password,
        identifier=f"kfleet-check-{uuid.uuid4().hex[:8]}",
        protocol=aiomqtt.ProtocolVersion.V5 if v5 else aiomqtt.ProtocolVersion.V311,
        tls_context=ssl.create_default_context() if endpoint.tls else None,
        timeout=timeout_s,
    )
    try:
        async with asyncio.timeout(timeout_s), client:
            return None
    except TimeoutError:
        return f"no answer within {timeout_s:g} s"
    except aiomqtt.MqttError as err:
        return str(err)
