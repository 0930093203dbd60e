"""Publishes site content (``protocols.hall``) as retained messages, newest body wins.

Every change offers the whole new body for its (site, kind); the worker publishes it at once
and, when the broker is away, keeps the newest body per (site, kind) and retries with backoff —
a burst of calls while the broker restarts ends with the last state on the broker, not a
backlog of stale ones. A body whose version is not newer than the one already offered for its
(site, kind) is dropped here, so an out-of-order caller can never step the screens backwards.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable
from typing import Protocol

from cloud.errors import BusUnavailable
from protocols.envelope import MsgType, Sender, encode
from protocols.guide import CatalogueBody
from protocols.hall import FloorPlanBody, LiveBody, WindowsBody
from protocols.topics import site_topic

log = logging.getLogger(__name__)

Content = FloorPlanBody | WindowsBody | LiveBody | CatalogueBody
#: retry delays when the broker is away: full jitter, from 0.2 s up to 10 s
RETRY_MIN_S = 0.2
RETRY_MAX_S = 10.0


class RetainedPublisher(Protocol):
    """What the publisher needs of the bus (``cloud.bus.Bus`` has it)."""

    sender: Sender

    def publish(
        self, topic: str, payload: bytes, qos: int = 1, retain: bool = False
    ) -> Awaitable[None]: ...


class ContentPublisher:
    def __init__(self, bus: RetainedPublisher) -> None:
        self._bus = bus
        self._pending: dict[tuple[str, str], Content] = {}
        self._offered: dict[tuple[str, str], int] = {}
        self._published: dict[tuple[str, str], int] = {}
        self._wake = asyncio.Event()
        self.published = 0
        self.failures = 0
        #: set after each confirmed publication (tests and health checks wait on it)
        self.sent = asyncio.Event()

    def offer(self, body: Content) -> bool:
        """Queue ``body`` for publication; False (dropped) if not newer than one offered."""
        key = (body.site, body.kind)
        held = self._offered.get(key)
        if held is not None and body.version <= held:
            return False
        self._offered[key] = body.version
        self._pending[key] = body
        self._wake.set()
        return True

    def published_version(self, site: str, kind: str) -> int | None:
        """The version of ``kind`` for ``site`` the broker confirmed last (None: none yet)."""
        return self._published.get((site, kind))

    async def wait_published(self, site: str, kind: str, version: int) -> None:
        """Until ``version`` (or a newer one) of ``kind`` for ``site`` is on the broker."""
        while (self._published.get((site, kind)) or 0) < version:
            self.sent.clear()
            await self.sent.wait()

    async def run(self) -> None:
        """Publish what is pending, forever; one owner task (the app's workers)."""
        delay = RETRY_MIN_S
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                key, body = next(iter(self._pending.items()))
                try:
                    await self._send(body)
                except BusUnavailable as err:
                    self.failures += 1
                    log.warning("site content %s v%d not published yet: %s", key, body.version, err)
                    await asyncio.sleep(random.uniform(0, delay))
                    delay = min(delay * 2, RETRY_MAX_S)
                    continue
                delay = RETRY_MIN_S
                if self._pending.get(key) is body:  # a newer one may have come meanwhile
                    del self._pending[key]
                self._published[key] = body.version
                self.published += 1
                self.sent.set()

    async def _send(self, body: Content) -> None:
        env = self._bus.sender.envelope(MsgType.CONTENT, body)
        await self._bus.publish(site_topic(body.site, body.kind), encode(env), 1, True)
