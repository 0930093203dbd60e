"""Retention: old dedupe ids and telemetry are deleted now and then (by the dispatcher loop).

Telemetry's own retention lives with its store (the SQL default's raw points and rollups,
``cloud.telemetry.sql_store``); a time-series database keeps its own and is not asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db import messages as message_repo

#: Keep processed ack ids this long (longer than any broker would redeliver a message).
DEDUPE_WINDOW = timedelta(hours=24)
PRUNE_EVERY_S = 60.0


class Prunable(Protocol):
    """Something that deletes what is past its own retention."""

    async def prune(self, now: datetime) -> None: ...


class Retention:
    """Deletes what is past its window, at most every :data:`PRUNE_EVERY_S`."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], also: Sequence[Prunable] = ()
    ) -> None:
        self._sessions = sessions
        self._also = list(also)
        self._last: float | None = None

    async def maybe_prune(self, now: datetime, clock_s: float) -> bool:
        """Prune if :data:`PRUNE_EVERY_S` passed on ``clock_s`` (a monotonic clock)."""
        if self._last is not None and clock_s - self._last < PRUNE_EVERY_S:
            return False
        await self.prune(now)
        self._last = clock_s
        return True

    async def prune(self, now: datetime) -> None:
        async with self._sessions() as s:
            await message_repo.prune(s, ids_before=now - DEDUPE_WINDOW)
            await s.commit()
        for other in self._also:
            await other.prune(now)
