"""The change hub across cloud workers: PostgreSQL ``LISTEN``/``NOTIFY``.

``cloud.hub.ChangeHub`` wakes long-polls and server-sent event streams of one process. With
several workers behind a load balancer, a job's state may change in one worker (the ack came
through its share of the device topics) while its client long-polls another, and the help
desk's call list is streamed by whichever worker each operator reached. So every notice
published in one worker is also sent on the ``kfleet_hub`` channel and delivered to the
hubs of the others. On only with a ``$share`` group on PostgreSQL (``relays``); a single
worker, or SQLite, keeps the hub in process.

A notice is a hint, never the data: a waiter re-reads the database, so a notice lost while
the relay reconnects only delays a waiter to its own timeout.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid

import psycopg
from sqlalchemy.engine import make_url

from cloud.hub import ChangeHub
from cloud.settings import Settings

log = logging.getLogger(__name__)

CHANNEL = "kfleet_hub"
#: notices waiting to be sent; beyond it the oldest are dropped (waiters re-read the source)
QUEUE_SIZE = 10_000
#: notices per ``pg_notify`` round trip
BATCH = 500
#: PostgreSQL's payload limit is 8000 bytes
MAX_PAYLOAD = 7_900
_SEP = "\x1f"
_CONNECT_TIMEOUT_S = 5


def relays(settings: Settings) -> bool:
    """Whether this worker relays: in a ``$share`` group and on PostgreSQL."""
    url = settings.database_url
    return bool(
        settings.mqtt_shared_group and url and make_url(url).get_backend_name() == "postgresql"
    )


class HubRelay:
    """Sends this worker's hub notices to the others and delivers theirs (:meth:`run`)."""

    def __init__(self, hub: ChangeHub, settings: Settings) -> None:
        self._hub = hub
        self._enabled = relays(settings)
        url = make_url(settings.database_url or "sqlite://").set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._me = uuid.uuid4().hex[:12]
        self._out: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
        self.sent = self.received = self.dropped = 0
        if self._enabled:
            hub.relay = self._queue

    def _queue(self, key: str, value: str) -> None:
        payload = f"{self._me}{_SEP}{key}{_SEP}{value}"
        if len(payload.encode()) > MAX_PAYLOAD:
            self.dropped += 1
            return
        if self._out.full():
            self._out.get_nowait()
            self.dropped += 1
        self._out.put_nowait(payload)

    async def run(self) -> None:
        """Listen and send until cancelled, reconnecting with full jitter; idle if off."""
        if not self._enabled:
            await asyncio.Event().wait()
        failures = 0
        while True:
            try:
                await self._connected()
            except (OSError, psycopg.Error) as err:
                failures += 1
                log.warning("hub relay lost PostgreSQL (%s); reconnecting", err)
            await asyncio.sleep(random.uniform(0, min(5.0, 0.2 * 2**failures)))

    async def _connected(self) -> None:
        async with (
            await psycopg.AsyncConnection.connect(
                self._dsn, autocommit=True, connect_timeout=_CONNECT_TIMEOUT_S
            ) as listener,
            await psycopg.AsyncConnection.connect(
                self._dsn, autocommit=True, connect_timeout=_CONNECT_TIMEOUT_S
            ) as sender,
        ):
            await listener.execute(f"LISTEN {CHANNEL}")
            log.info("hub relay: listening on %s", CHANNEL)
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._send(sender))
                tg.create_task(self._receive(listener))

    async def _send(self, conn: psycopg.AsyncConnection[object]) -> None:
        while True:
            batch = [await self._out.get()]
            while len(batch) < BATCH and not self._out.empty():
                batch.append(self._out.get_nowait())
            await conn.execute(
                "SELECT pg_notify(%s, p) FROM unnest(%s::text[]) AS p", (CHANNEL, batch)
            )
            self.sent += len(batch)

    async def _receive(self, conn: psycopg.AsyncConnection[object]) -> None:
        async for note in conn.notifies():
            sender, _, rest = note.payload.partition(_SEP)
            key, _, value = rest.partition(_SEP)
            if sender != self._me:
                self.received += 1
                self._hub.deliver(key, value)
