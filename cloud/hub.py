"""In-process change notifications: long-polls and tests wait on these instead of polling.

Keys are ``job:<id>``, ``device:<id>`` and ``bus:<what>``; values are short strings (a new job
state, ``online``/``offline``, a rejection reason). Publishing never blocks: a subscriber
whose queue is full loses the oldest news, which waiters tolerate by re-reading the source.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager


class Subscription:
    """The news about one key since the subscription started."""

    def __init__(self, key: str, maxsize: int = 256) -> None:
        self.key = key
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize)

    def _put(self, value: str) -> None:
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(value)

    async def get(self) -> str:
        return await self._queue.get()

    async def wait_for(self, accept: Callable[[str], bool], within_s: float) -> str | None:
        """The first value ``accept`` likes within ``within_s`` seconds, else None."""
        try:
            async with asyncio.timeout(within_s):
                while True:
                    value = await self._queue.get()
                    if accept(value):
                        return value
        except TimeoutError:
            return None


class ChangeHub:
    """Fan-out of change notices to the subscriptions of this process."""

    def __init__(self) -> None:
        self._subs: defaultdict[str, set[Subscription]] = defaultdict(set)
        #: also tells the other cloud workers (``cloud.hub_relay``; None: one worker)
        self.relay: Callable[[str, str], None] | None = None
        self._callbacks: defaultdict[str, list[Callable[[str], None]]] = defaultdict(list)

    def on_notice(self, key: str, callback: Callable[[str], None]) -> None:
        """Call ``callback(value)`` on every notice for ``key``, this worker's and relayed ones,
        before :meth:`deliver` returns: for caches that must forget before the next request."""
        self._callbacks[key].append(callback)

    def publish(self, key: str, value: str) -> None:
        self.deliver(key, value)
        if self.relay is not None:
            self.relay(key, value)

    def deliver(self, key: str, value: str) -> None:
        """To this process's subscriptions only (a notice another worker relayed)."""
        for callback in self._callbacks.get(key, ()):
            callback(value)
        for sub in tuple(self._subs.get(key, ())):
            sub._put(value)

    @asynccontextmanager
    async def subscribe(self, key: str) -> AsyncIterator[Subscription]:
        sub = Subscription(key)
        self._subs[key].add(sub)
        try:
            yield sub
        finally:
            subs = self._subs.get(key)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[key]
