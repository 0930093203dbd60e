"""The embedded MQTT broker (amqtt, MQTT 3.1.1) ``kfleet demo`` starts on a fresh machine.

Production uses Mosquitto or a cluster (``kfleet cloud run`` never starts a broker); this exists
so that one command shows the whole system. Given a
:class:`~cloud.broker_acl.directory.Directory` it enforces kfleet's ACL table
(:mod:`kfleet.world.broker_plugins`); anonymous clients only when asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from cloud.broker_acl.directory import Directory
from kfleet.world.net import free_port

log = logging.getLogger(__name__)

_PLUGINS = "kfleet.world.broker_plugins"


def _config(
    host: str, port: int, directory: Directory | None, allow_anonymous: bool
) -> dict[str, Any]:
    listeners = {"default": {"type": "tcp", "bind": f"{host}:{port}", "max_connections": 0}}
    if directory is None:  # the open broker of old: everyone in, every topic
        anonymous = {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}}
        return {"listeners": listeners, "plugins": anonymous}
    opts = {"directory": directory, "allow_anonymous": allow_anonymous}
    plugins = {f"{_PLUGINS}.KfleetAuthPlugin": opts, f"{_PLUGINS}.KfleetTopicPlugin": opts}
    return {"listeners": listeners, "plugins": plugins}


class _SnapshotSubscriptions(dict[str, list[tuple[Any, int]]]):
    """amqtt's subscription table, iterated over a snapshot.

    amqtt 0.12 walks ``_subscriptions`` while it awaits each receiver's topic check, and a
    topic plugin's check is always awaited (through ``asyncio.gather``): a SUBSCRIBE that
    arrived meanwhile raised "dictionary changed size during iteration" inside the broadcast
    task and the message was delivered to nobody after that point. A snapshot keeps it.
    """

    def items(self) -> Any:
        return list(super().items())

    def __iter__(self) -> Any:
        return iter(list(super().keys()))


class EmbeddedBroker:
    """amqtt started in the current event loop.

    ``directory``: who may log in and what each may do (kfleet's ACL table). Without one the
    broker is open, which must be asked for with ``allow_anonymous=True``; with one,
    ``allow_anonymous`` also lets clients without a username in (unchecked: development only).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        directory: Directory | None = None,
        allow_anonymous: bool = False,
    ) -> None:
        if directory is None and not allow_anonymous:
            raise ValueError(
                "the embedded broker needs a directory of identities (cloud.broker_acl) or "
                "allow_anonymous=True (an open broker, development only): nobody could log in"
            )
        self.host = host
        self.port = port or free_port(host)
        self._directory = directory
        self._allow_anonymous = allow_anonymous
        self._broker: Any = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    async def start(self) -> None:
        from amqtt.broker import Broker

        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        config = _config(self.host, self.port, self._directory, self._allow_anonymous)
        self._broker = Broker(config)
        self._broker._subscriptions = _SnapshotSubscriptions()  # see the class: amqtt's race
        await self._broker.start()
        log.info("embedded MQTT broker (amqtt) listening on %s", self.url)

    async def kick(self, username: str) -> None:
        """Close every connection logged in as ``username`` (a revoked device); a
        :data:`cloud.broker_acl.kick.Kicker`."""
        broker = self._broker
        if broker is None:
            return
        sessions: dict[str, tuple[Any, Any]] = broker._sessions  # amqtt has no public API
        for client_id, (session, _handler) in list(sessions.items()):
            if session.username == username:
                await broker._cleanup_session(client_id)
                log.info("embedded broker: disconnected %s (client %s)", username, client_id)

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
    parser.add_argument(
        "--allow-anonymous",
        action="store_true",
        help="required: this standalone broker has no identities, so it is open (development)",
    )
    args = parser.parse_args(argv)
    if not args.allow_anonymous:
        parser.error(
            "this standalone broker knows no identities: pass --allow-anonymous for an open "
            "development broker (kfleet demo enforces identities through the cloud instead)"
        )
    logging.basicConfig(level=logging.WARNING)

    async def serve() -> None:
        broker = EmbeddedBroker(args.host, args.port, allow_anonymous=True)
        await broker.start()
        try:
            await asyncio.Event().wait()
        finally:
            await broker.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
