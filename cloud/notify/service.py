"""The message service (统一消息服务): records each notice per channel, delivers in the background.

``notify`` is one short insert and returns: a slow or failing receiver never holds up the
alert engine. ``run`` is the worker: it claims due rows (``cloud.notify.store``), sends them
concurrently without holding a database connection, and records each attempt — delivered,
retried after an exponential backoff (or the receiver's Retry-After, when longer), or dead
with the last error after ``max_attempts`` or a permanent refusal. Rows outlive the process,
so a restarted cloud (or another instance) picks up whatever was not delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.models import utcnow
from cloud.notify import store
from cloud.notify.channels import Channel, build_channel
from cloud.notify.channels.base import PermanentFailure, TemporaryFailure
from cloud.notify.channels.mqtt import Publish
from cloud.notify.config import ChannelConfig
from cloud.notify.model import Notice

log = logging.getLogger(__name__)

#: rows one pass claims at most
BATCH = 32


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    backoff_s: float = 5.0
    backoff_cap_s: float = 900.0
    lease_s: float = 60.0
    poll_s: float = 2.0

    def delay_s(self, attempts: int, retry_after_s: float | None) -> float:
        """Wait before the next attempt after ``attempts`` failed ones (1, 2, …)."""
        backoff = min(self.backoff_cap_s, self.backoff_s * 2.0 ** (attempts - 1))
        return max(backoff, retry_after_s or 0.0)


class MessageService:
    """Implements :class:`cloud.notify.model.Notifier`; ``run`` is a worker of the app."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        configs: Sequence[ChannelConfig],
        publish: Publish,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._sessions = sessions
        self._configs = {c.name: c for c in configs}
        self._publish = publish
        self.policy = policy or RetryPolicy()
        self.owner = f"notify-{uuid.uuid4().hex[:12]}"
        self._wake = asyncio.Event()
        self._stopping = False
        self._finished = asyncio.Event()
        self._finished.set()  # not running
        self._channels: dict[str, Channel] = {}
        #: attempts finished by this instance (tests wait on it; /metrics may show it)
        self.attempted = 0

    def channel_names(self) -> list[str]:
        return sorted(self._configs)

    def channel_kinds(self) -> dict[str, str]:
        """Name → type of each channel (no targets, no secrets: what the API may show)."""
        return {name: c.type for name, c in sorted(self._configs.items())}

    async def notify(self, notice: Notice, channels: Sequence[str]) -> None:
        """Record ``notice`` once per channel and wake the worker; an unknown channel name is
        recorded dead with why, so the record shows the rule's mistake."""
        wanted = {
            name: "" if name in self._configs else _unknown(name, self.channel_names())
            for name in dict.fromkeys(channels)
        }
        async with self._sessions() as s:
            await store.record(s, notice, wanted, utcnow())
            await s.commit()
        self._wake.set()

    async def run(self) -> None:
        """Deliver until :meth:`stop` (or cancelled)."""
        self._stopping = False
        self._finished.clear()
        try:
            async with httpx.AsyncClient(follow_redirects=False) as http:
                self._channels = {
                    name: build_channel(c, http, self._publish) for name, c in self._configs.items()
                }
                while not self._stopping:
                    self._wake.clear()  # before the pass: a notice recorded during it wakes us
                    try:
                        busy = await self.deliver_due()
                    except Exception:  # the database away: log, wait, try again
                        log.exception("notification worker pass failed; retrying")
                        busy = 0
                    if not busy and not self._stopping:
                        await self._sleep()
        finally:
            self._finished.set()

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Finish the pass under way (its outcomes recorded) and return; call before
        cancelling, so no database call is cut in half. What is left stays pending."""
        self._stopping = True
        self._wake.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._finished.wait(), timeout=timeout_s)

    async def _sleep(self) -> None:
        wait = self.policy.poll_s
        with contextlib.suppress(Exception):
            async with self._sessions() as s:
                due = await store.next_due(s, utcnow())
            if due is not None:
                wait = min(wait, max(0.0, (due - utcnow()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def deliver_due(self) -> int:
        """One pass: claim due rows, send them all, record each; returns how many."""
        async with self._sessions() as s:
            claimed = await store.claim(s, self.owner, utcnow(), self.policy.lease_s, BATCH)
            await s.commit()
        if claimed:
            await asyncio.gather(*(self._attempt(c) for c in claimed))
        return len(claimed)

    async def _attempt(self, claimed: store.Claimed) -> None:
        channel = self._channels.get(claimed.channel)
        error, retry_after, permanent = "", None, False
        try:
            if channel is None:
                raise PermanentFailure(_unknown(claimed.channel, self.channel_names()))
            async with asyncio.timeout(self.policy.lease_s * 0.8):
                await channel.send(claimed.payload)
        except TemporaryFailure as failure:
            error, retry_after = str(failure) or type(failure).__name__, failure.retry_after_s
        except PermanentFailure as failure:
            error, permanent = str(failure), True
        except TimeoutError:
            error = f"no answer within {self.policy.lease_s * 0.8:.0f} s"
        except Exception as bug:  # a channel's bug must not stop the worker
            log.exception("channel %s failed", claimed.channel)
            error = f"{type(bug).__name__}: {bug}"
        now = utcnow()
        retry_at = self._retry_at(claimed, now, retry_after) if error and not permanent else None
        async with self._sessions() as s:
            kept = await store.finish(s, claimed, self.owner, now, error=error, retry_at=retry_at)
            await s.commit()
        self.attempted += 1
        if not kept:
            log.warning(
                "notification %d: lease lost while sending; another instance has it", claimed.id
            )
        elif error:
            level = logging.WARNING if retry_at else logging.ERROR
            log.log(
                level,
                "notification %d on %s: %s (%s)",
                claimed.id,
                claimed.channel,
                error,
                f"retry at {retry_at.isoformat()}" if retry_at else "dead",
            )

    def _retry_at(
        self, claimed: store.Claimed, now: datetime, retry_after_s: float | None
    ) -> datetime | None:
        attempts = claimed.attempts + 1
        if attempts >= self.policy.max_attempts:
            return None
        return now + timedelta(seconds=self.policy.delay_s(attempts, retry_after_s))


def _unknown(name: str, known: list[str]) -> str:
    return (
        f"no channel named {name!r} is configured (KFLEET_NOTIFY_CHANNELS has {known}); "
        "fix the alert rule or add the channel"
    )
