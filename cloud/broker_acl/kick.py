"""Disconnecting a revoked identity's live connections, for backends whose broker does not do
it by itself (dynsec does): the embedded broker registers a :data:`Kicker`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

#: ``await kick(username)``: close every connection logged in as ``username``
Kicker = Callable[[str], Awaitable[None]]


class Kickers:
    """The kickers to call on revoke; none registered is fine (EMQX: kick through its API)."""

    def __init__(self) -> None:
        self._kickers: list[Kicker] = []

    def register(self, kicker: Kicker) -> None:
        self._kickers.append(kicker)

    async def kick(self, username: str) -> None:
        for kicker in self._kickers:
            await kicker(username)
