"""The forwarder: sends every rated ``hall_ratings`` row to the provincial platform, once.

Each pass claims due pending rows (:mod:`.store`), submits them a few at a time without
holding a database connection, and records each outcome: ``sent`` with the platform's id,
``refused`` with the platform's message (an operator retries it after fixing the cause), or
pending again after a backoff with full jitter (the platform's Retry-After, when longer, wins).
Nothing is ever dropped: an unavailable platform only delays a row, however long it lasts, and
a crash between the platform's answer and our record is covered by its idempotency on
``sourceId``. A row nobody rated (``level`` None) is marked ``skip``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.models import utcnow
from cloud.hall.haocha import store
from cloud.hall.haocha.notices import ForwardingNotices
from cloud.hall.haocha.platform import (
    CHANNELS,
    Accepted,
    HaochaPlatform,
    Outcome,
    Refused,
    Submission,
    Unavailable,
)

log = logging.getLogger(__name__)
#: ratings are shown to the province in Beijing time
CST = timezone(timedelta(hours=8), "CST")


@dataclass(frozen=True, slots=True)
class ForwardPolicy:
    batch: int = 32
    concurrency: int = 8
    lease_s: float = 60.0
    backoff_s: float = 5.0
    backoff_cap_s: float = 900.0
    poll_s: float = 5.0

    def delay_s(self, attempts: int, retry_after_s: float | None, rng: random.Random) -> float:
        """Full jitter: anywhere up to the exponential ceiling, never before Retry-After."""
        ceiling = min(self.backoff_cap_s, self.backoff_s * 2.0 ** max(0, attempts - 1))
        return max(rng.uniform(0.0, ceiling), retry_after_s or 0.0)


@dataclass
class ForwardStats:
    """Counters of this instance (``/metrics``), and the last trouble for the console."""

    submitted: int = 0
    sent: int = 0
    duplicates: int = 0
    refused: int = 0
    unavailable: int = 0
    skipped: int = 0
    last_error: str = ""
    last_error_at: datetime | None = None
    #: since when every submit failed (None: the last one went through)
    failing_since: datetime | None = None


def submission(c: store.Claimed) -> Submission | Refused:
    row = c.row
    channel = CHANNELS.get(str(row["source"]))
    if channel is None:
        return Refused("UnknownSource", f"rating source {row['source']!r} has no channel")
    return Submission(
        source_id=f"kfleet-{row['id']}",
        site_code=c.site_path,
        site_name=c.site_name,
        window_no=str(row["window_no"] or ""),
        staff_no=str(row["staff_no"] or ""),
        service_code=str(row["service_code"] or ""),
        case_no=str(row["case_no"] or ""),
        ticket_no=str(row["ticket_no"] or ""),
        level=int(row["level"]),
        reasons=_reasons(int(row["level"]), row["reasons"]),
        comment=str(row["comment"] or ""),
        channel=channel,
        rated_at=row["rated_at"].astimezone(CST),
    )


def _reasons(level: int, given: list[object] | None) -> list[str]:
    """The platform needs a reason for a 1 or 2 (a 差评 says why); a citizen may skip the
    reason chips on our pad, so such a rating goes as ``other`` (其他) rather than refused."""
    reasons = [str(r) for r in given or []]
    return reasons or (["other"] if level <= 2 else [])


class Forwarder:
    """``platform`` None: forwarding is off (no URL set); rows stay pending."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        platform: HaochaPlatform | None,
        policy: ForwardPolicy | None = None,
        rng: random.Random | None = None,
        notices: ForwardingNotices | None = None,
    ) -> None:
        self._sessions = sessions
        self.platform = platform
        self.notices = notices
        self.policy = policy or ForwardPolicy()
        self._rng = rng or random.Random()
        self._wake = asyncio.Event()
        self.stats = ForwardStats()

    @property
    def enabled(self) -> bool:
        return self.platform is not None

    def wake(self) -> None:
        """Look now (a new rating, an operator's retry) instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        if self.platform is None:
            log.warning("KFLEET_HAOCHA_URL is not set: ratings stay pending, none forwarded")
            return
        try:
            while True:
                self._wake.clear()  # before the pass: a rating stored during it wakes us
                try:
                    busy = await self.forward_due()
                except Exception:  # the database away: log, wait, try again
                    log.exception("rating forwarder pass failed; retrying")
                    busy = 0
                if self.notices is not None:
                    await self.notices.failing(self.stats.failing_since, self.stats.last_error)
                if not busy:
                    await self._sleep()
        finally:
            await self.platform.aclose()

    async def _sleep(self) -> None:
        wait = self.policy.poll_s
        with contextlib.suppress(Exception):
            async with self._sessions() as s:
                wait = await store.wait_s(s, utcnow(), self.policy.poll_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def forward_due(self) -> int:
        """One pass: claim a batch, submit it, record each; returns how many were claimed."""
        async with self._sessions() as s:
            claimed = await store.claim(s, utcnow(), self.policy.lease_s, self.policy.batch)
            await s.commit()
        gate = asyncio.Semaphore(self.policy.concurrency)

        async def one(c: store.Claimed) -> None:
            async with gate:
                await self._forward(c)

        await asyncio.gather(*(one(c) for c in claimed))
        return len(claimed)

    async def _forward(self, c: store.Claimed) -> None:
        if c.row["level"] is None:
            await self._record(c, store.SKIP, "nobody rated: nothing to forward", None)
            self.stats.skipped += 1
            return
        outcome = await self._submit(c)
        if isinstance(outcome, Accepted):
            async with self._sessions() as s:
                await store.mark_sent(s, c.id, outcome.ref)
                await s.commit()
            self._count_sent(outcome)
        elif isinstance(outcome, Refused):
            error = f"{outcome.code}: {outcome.message}"
            await self._record(c, store.REFUSED, error, None)
            self.stats.refused += 1
            log.error("rating %d refused by the 好差评 platform: %s", c.id, error)
            if self.notices is not None:
                await self.notices.refused(c, error)
        else:
            attempts = int(c.row["fwd_attempts"])  # this one included (counted at claim)
            delay = self.policy.delay_s(attempts, outcome.retry_after_s, self._rng)
            await self._record(
                c, store.PENDING, outcome.reason, utcnow() + timedelta(seconds=delay)
            )
            self._count_unavailable(outcome)

    async def _submit(self, c: store.Claimed) -> Outcome:
        built = submission(c)
        if isinstance(built, Refused):
            return built
        assert self.platform is not None
        self.stats.submitted += 1
        try:
            async with asyncio.timeout(self.policy.lease_s * 0.8):
                return await self.platform.submit(built)
        except TimeoutError:
            return Unavailable(f"no outcome within {self.policy.lease_s * 0.8:.0f} s")
        except Exception as bug:  # the adapter's bug must not stop the worker
            log.exception("submitting rating %d failed", c.id)
            return Unavailable(f"{type(bug).__name__}: {bug}")

    async def _record(
        self, c: store.Claimed, state: str, error: str, next_at: datetime | None
    ) -> None:
        async with self._sessions() as s:
            kept = await store.mark(s, c, state, error, next_at)
            await s.commit()
        if not kept:
            log.warning("rating %d: lease lost while forwarding; another instance has it", c.id)

    def _count_sent(self, outcome: Accepted) -> None:
        self.stats.sent += 1
        self.stats.duplicates += int(outcome.duplicate)
        self.stats.failing_since = None

    def _count_unavailable(self, outcome: Unavailable) -> None:
        now = utcnow()
        self.stats.unavailable += 1
        self.stats.last_error, self.stats.last_error_at = outcome.reason, now
        if self.stats.failing_since is None:
            self.stats.failing_since = now
