"""Topics beyond the device's own that a part of the agent asks the link to follow.

The hall's screens follow their site's retained content (``kf/v1/site/{path}/+``). The link
subscribes to every filter registered here at the start of each session, so a subscription
survives reconnects, and hands each message on such a topic to its handler. A handler's bug
is logged by the link's reader and never takes the session down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiomqtt

#: (topic, payload) of one message; the payload may be empty (a retained copy cleared)
Handler = Callable[[str, bytes], Awaitable[None]]


class Subscriptions:
    """Topic filters and who handles them (the first matching filter wins)."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def add(self, topic_filter: str, handler: Handler) -> None:
        """Follow ``topic_filter`` from the next session on (and the current one's next
        reconnect); register before the link runs to have it from the first session."""
        self._handlers[topic_filter] = handler

    @property
    def filters(self) -> list[str]:
        return list(self._handlers)

    def handler_for(self, topic: str) -> Handler | None:
        parsed = aiomqtt.Topic(topic)
        for topic_filter, handler in self._handlers.items():
            if parsed.matches(topic_filter):
                return handler
        return None


async def cancel_all(*tasks: asyncio.Task[None]) -> None:
    """Cancel until they are done: on Python 3.11 ``asyncio.wait_for`` (used by aiomqtt's
    publish) can swallow a cancellation that arrives as the awaited PUBACK completes."""
    while pending := [t for t in tasks if not t.done()]:
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=0.5)


def as_bytes(payload: object) -> bytes:
    """An incoming message's payload as bytes (aiomqtt may hand over str, bytes or None)."""
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    return b"" if payload is None else str(payload).encode()
