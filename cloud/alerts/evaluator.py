"""The alert evaluator: every ``alert_eval_interval_s`` (and when woken), judge every rule
against the current facts and move each (rule, subject) through ``fleet.alerts.step``.

Rules are read from the database each round, so an edit through the API applies on the next
round without a restart (the API also wakes the evaluator). Two cloud instances may run it
on one PostgreSQL: a round holds a transaction-scoped advisory lock (the other instance skips
that round), and the unique ``alerts.open_key`` refuses a second open alert for one pair
whatever happens. Notices go to the :class:`~cloud.notify.model.Notifier` after the round
commits, so a rolled-back round tells nobody. While the cloud's bus is behind, timed rounds
pass (at most ``MAX_DEFERRED`` in a row): a round reads the whole fleet (issue 17).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.alerts import facts as fact_repo
from cloud.alerts.notices import Outbox
from cloud.alerts.tables import Alert
from cloud.alerts.transitions import apply_rule, close_orphans
from cloud.db.models import utcnow
from cloud.notify.model import Notifier

log = logging.getLogger(__name__)

#: pg_try_advisory_xact_lock key of the evaluator ("kfalerts")
ADVISORY_KEY = 0x6B66616C65727473
#: timed rounds let pass in a row while the bus is behind: an alert waits at most this many
#: intervals longer (30 s at the default 5 s), however long the backlog lasts
MAX_DEFERRED = 6


class Evaluator:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        notifier: Notifier,
        interval_s: float,
        clock: Callable[[], datetime] = utcnow,
        behind: Callable[[], bool] | None = None,
    ) -> None:
        self._sessions = sessions
        self._notifier = notifier
        self._interval_s = interval_s
        self._clock = clock
        self._wake = asyncio.Event()
        self._behind = behind
        self._deferred_in_a_row = 0
        self.rounds = 0
        self.skipped = 0
        self.deferred = 0  # timed rounds let pass while the bus was behind

    def wake(self) -> None:
        """Evaluate now (a rule changed, a device changed) instead of at the next tick."""
        self._wake.set()

    async def run(self) -> None:
        woken = True  # the first round, at start
        while True:
            if woken or not self.defer():
                try:
                    await self.evaluate_once()
                except Exception:  # a bad round must not end the worker; the next one retries
                    log.exception("alert evaluation failed; retrying next round")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval_s):
                    await self._wake.wait()
            woken = self._wake.is_set()
            self._wake.clear()

    def defer(self) -> bool:
        """Whether to let this timed round pass: the bus is behind (a round reads the whole
        fleet; after a mass reconnect of 10,000 devices it competed with the presence it
        would judge, and judged a view that was seconds old anyway), at most
        :data:`MAX_DEFERRED` rounds in a row, so an alert is late, never lost. A wake (a rule
        or an alert changed through the API) always evaluates."""
        if self._behind is None or self._deferred_in_a_row >= MAX_DEFERRED or not self._behind():
            self._deferred_in_a_row = 0
            return False
        self._deferred_in_a_row += 1
        self.deferred += 1
        return True

    async def evaluate_once(self, now: datetime | None = None) -> bool:
        """One round; False if another instance holds the round (or it lost a race)."""
        at = now or self._clock()
        outbox = Outbox()
        async with self._sessions() as s:
            if not await _take_round(s):
                self.skipped += 1
                return False
            try:
                await _round(s, at, outbox)
                await s.commit()
            except IntegrityError:  # another instance opened one of these pairs first
                await s.rollback()
                self.skipped += 1
                log.info("alert round lost a race to another instance; the next round retries")
                return False
        self.rounds += 1
        await outbox.send(self._notifier)
        return True


async def _round(s: AsyncSession, at: datetime, outbox: Outbox) -> None:
    specs, existing = await fact_repo.rules(s)
    facts = await fact_repo.gather(s, specs, at)
    silences = await fact_repo.silences(s, at)
    open_rows = (
        await s.scalars(select(Alert).where(Alert.open_key.is_not(None)).with_for_update())
    ).all()
    by_rule: dict[int, list[Alert]] = {}
    for row in open_rows:
        by_rule.setdefault(row.rule_id, []).append(row)
    for spec in specs:
        await apply_rule(s, spec, facts, by_rule.pop(spec.id, []), silences, at, outbox)
    close_orphans(s, [a for rows in by_rule.values() for a in rows], existing, at)


async def _take_round(s: AsyncSession) -> bool:
    """Whether this instance evaluates this round (PostgreSQL: an advisory lock held until
    the round commits; SQLite: one writer at a time anyway)."""
    if s.get_bind().dialect.name != "postgresql":
        return True
    got = await s.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": ADVISORY_KEY})
    return bool(got)
