"""The embedded MQTT broker (amqtt, MQTT 3.1.1) ``kfleet demo`` starts on a fresh machine.

Production uses Mosquitto or a cluster (``kfleet cloud run`` never starts a broker); this exists
so that one command shows the whole system.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from kfleet.world.net import free_port

log = logging.getLogger(__name__)


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


def main(argv: list[str] | None = None) -> None:
    """``python -m kfleet.world.broker --port N``: the embedded broker as its own process.

    Tests run it this way so that amqtt's own leaks (it can leave a connection's socket open
    when a client goes away mid-delivery) never reach the test process.
    """
    import argparse

    parser = argparse.ArgumentParser(description="Run the embedded amqtt broker (MQTT 3.1.1).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    async def serve() -> None:
        broker = EmbeddedBroker(args.host, args.port)
        await broker.start()
        try:
            await asyncio.Event().wait()
        finally:
            await broker.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
