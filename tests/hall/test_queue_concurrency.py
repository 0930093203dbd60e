"""Property: however many windows call next at once (real concurrent tasks, each its own
transaction), no ticket is ever called twice, and every waiting ticket is called exactly once
— on SQLite (one connection serialises) and on PostgreSQL (a pool of real connections, where
the conditional update is what decides)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloud.hall.queue_service import BuiltinQueue
from tests.faults.databases import PARAMS, POSTGRES, fresh_postgres
from tests.hall.queue_kit import add_site, hall_db


@pytest.fixture(params=PARAMS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == POSTGRES:
        server = str(request.getfixturevalue("postgres_url"))
        with fresh_postgres(server, f"kf_queue_{uuid.uuid4().hex[:8]}") as url:
            asyncio.run(_migrate(url))
            yield url
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'q.db'}"
        asyncio.run(_migrate(url))
        yield url


async def _migrate(url: str) -> None:
    async with hall_db(url):
        pass


async def _window(q: BuiltinQueue, site: str, number: str, rng: random.Random) -> list[int]:
    """Call until nobody waits; end each ticket one way or another to free the window."""
    called: list[int] = []
    while (t := await q.call_next(site, number)) is not None:
        called.append(t.id)
        if rng.random() < 0.3:
            await q.no_show(site, number)
        else:
            await q.start(site, number)
            await q.complete(site, number)
    return called


async def _scenario(
    url: str, services: list[str], priority: list[bool], windows: int, seed: int
) -> None:
    site = f"qh/p{uuid.uuid4().hex[:10]}"
    async with hall_db(url) as sessions:
        await add_site(sessions, site, windows=windows)
        q = BuiltinQueue(sessions)
        taken = [
            await q.take(site, svc, source="kiosk", priority=prio)
            for svc, prio in zip(services, priority, strict=False)
        ]
        runs = await asyncio.gather(
            *(_window(q, site, str(n), random.Random(seed + n)) for n in range(1, windows + 1))
        )
    called = [i for run in runs for i in run]
    assert len(called) == len(set(called)), "a ticket was called to two windows"
    assert sorted(called) == sorted(t.id for t in taken)


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    services=st.lists(st.sampled_from(["s-a", "s-b"]), min_size=0, max_size=24),
    priority=st.lists(st.booleans(), min_size=24, max_size=24),
    windows=st.integers(min_value=2, max_value=6),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_concurrent_call_next_never_calls_a_ticket_twice(
    db_url: str, services: list[str], priority: list[bool], windows: int, seed: int
) -> None:
    asyncio.run(_scenario(db_url, services, priority, windows, seed))
