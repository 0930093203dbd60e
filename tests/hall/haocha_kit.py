"""The forwarder against the simulated provincial platform, on a database of its own."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.hall import HallRating
from cloud.db.models import Site
from cloud.hall.haocha.client import HttpHaochaPlatform
from cloud.hall.haocha.forwarder import Forwarder, ForwardPolicy
from simulators.haocha_platform import HaochaPlatform
from tests.notify.kit import database

__all__ = ["database"]
SITE = "qh/hx/golmud/hhl"
#: quick retries so a test sees several attempts within a second or two
FAST = ForwardPolicy(
    batch=32, concurrency=8, lease_s=5.0, backoff_s=0.05, backoff_cap_s=0.4, poll_s=0.2
)


async def add_site(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as s:
        site = Site(code="hhl", path=SITE, name="黄河路街道办事处", level=4)
        s.add(site)
        await s.commit()
        return site.id


async def add_ratings(
    sessions: async_sessionmaker[AsyncSession], site_id: int, n: int, **over: Any
) -> list[int]:
    """``n`` rated rows, pending as the ratings helper writes them."""
    async with sessions() as s:
        rows = [
            HallRating(
                site_id=site_id,
                dedupe_key=f"test:{random.getrandbits(64):x}",
                source=over.get("source", "pad"),
                ticket_no=f"A{i % 1000:03d}",
                case_no=f"CASE-{i}",
                window_no=str(1 + i % 6),
                staff_no=f"S{100 + i % 6}",
                service_code="HUKOU",
                level=over.get("level", 1 + i % 5),
                reasons=over.get("reasons", ["wait_long"] if (1 + i % 5) <= 2 else []),
                comment="",
                outcome=over.get("outcome", "rated"),
                rated_at=over.get("rated_at", datetime.now(UTC)),
                fwd_state="pending",
            )
            for i in range(n)
        ]
        s.add_all(rows)
        await s.commit()
        return [r.id for r in rows]


def client(platform: HaochaPlatform, secret: str = "sim-secret", timeout_s: float = 10.0) -> Any:
    """Patient by default: a timeout on a loaded machine would add a (harmless) resend that
    tests counting submits must not see; fault tests pass a short one."""
    return HttpHaochaPlatform(platform.url, "sim-app", secret, timeout_s)


def forwarder(
    sessions: async_sessionmaker[AsyncSession],
    platform: HaochaPlatform,
    policy: ForwardPolicy = FAST,
    **kw: Any,
) -> Forwarder:
    return Forwarder(sessions, client(platform, **kw), policy, random.Random(7))


@asynccontextmanager
async def running(fwd: Forwarder) -> AsyncIterator[Forwarder]:
    task = asyncio.create_task(fwd.run())
    try:
        yield fwd
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def ratings(sessions: async_sessionmaker[AsyncSession]) -> list[HallRating]:
    async with sessions() as s:
        return list((await s.scalars(select(HallRating).order_by(HallRating.id))).all())


async def until(
    sessions: async_sessionmaker[AsyncSession], ok: Callable[[list[HallRating]], bool]
) -> list[HallRating]:
    """Poll the rows until ``ok(rows)`` (callers bound the wait with asyncio.timeout)."""
    while True:
        got = await ratings(sessions)
        if ok(got):
            return got
        await asyncio.sleep(0.05)  # polling a database, not a timing assumption


async def settled(sessions: async_sessionmaker[AsyncSession]) -> list[HallRating]:
    return await until(sessions, lambda rows: all(r.fwd_state != "pending" for r in rows))
