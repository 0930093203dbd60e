"""Retention: old dedupe ids and telemetry are deleted now and then (by the dispatcher loop)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db import messages as message_repo

#: Keep processed ack ids this long (longer than any broker would redeliver a message).
DEDUPE_WINDOW = timedelta(hours=24)
PRUNE_EVERY_S = 60.0


class Retention:
    """Deletes what is past its window, at most every :data:`PRUNE_EVERY_S`."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], metrics_retention_h: float):
        self._sessions = sessions
        self._metrics = timedelta(hours=metrics_retention_h)
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
            await message_repo.prune(
                s, ids_before=now - DEDUPE_WINDOW, metrics_before=now - self._metrics
            )
            await s.commit()
