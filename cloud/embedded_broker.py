"""The embedded MQTT broker (amqtt, MQTT 3.1.1) used by ``kfleet demo`` on a fresh machine.

Production uses Mosquitto or a cluster; this exists so that one command shows the whole system.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _config(host: str, port: int) -> dict[str, Any]:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}", "max_connections": 0}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }


class EmbeddedBroker:
    """amqtt started in the current event loop."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._broker: Any = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    async def start(self) -> None:
        from amqtt.broker import Broker

        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._broker = Broker(_config(self.host, self.port))
        await self._broker.start()
        log.info("embedded MQTT broker (amqtt) listening on %s", self.url)

    async def stop(self) -> None:
        if self._broker is not None:
            await self._broker.shutdown()
            self._broker = None


class ThreadedBroker:
    """An :class:`EmbeddedBroker` on its own thread and loop (tests, benchmarks)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.broker = EmbeddedBroker(host, port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="amqtt", daemon=True)

    @property
    def url(self) -> str:
        return self.broker.url

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.broker.start(), self._loop).result(timeout=10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.broker.stop(), self._loop).result(timeout=10)
        asyncio.run_coroutine_threadsafe(_cancel_others(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


async def _cancel_others() -> None:
    """Cancel and await what amqtt left running, so no connection is left unclosed."""
    me = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not me]
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
