"""Nothing lost over a burst: 200 ratings forwarded while the platform fails in every way it
can (seeded), by two forwarders sharing the database as two cloud instances would. Every row
ends sent, and the platform holds each rating exactly once under the id the row records."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from cloud.hall.haocha.forwarder import ForwardPolicy
from simulators.haocha_platform import Faults, HaochaPlatform
from tests.hall.haocha_kit import add_ratings, add_site, database, forwarder, running, settled

N = 200
FAULTS = Faults(
    error_rate=0.1,
    rate_limit_rate=0.05,
    hang_rate=0.05,
    drop_rate=0.1,
    slow_rate=0.1,
    slow_s=0.05,
    hang_s=2.0,
    retry_after_s=1,
    seed=13,
)
POLICY = ForwardPolicy(batch=25, concurrency=8, lease_s=5.0, backoff_s=0.05, backoff_cap_s=0.5)


@pytest.fixture
def pg_database(postgres_url: str, uid: str) -> Iterator[str]:
    url = make_url(postgres_url)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"kf_haocha_{uid}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _burst(url: str) -> None:
    async with HaochaPlatform(faults=FAULTS) as p, database(url) as sessions:
        ids = await add_ratings(sessions, await add_site(sessions), N)
        a = forwarder(sessions, p, POLICY, timeout_s=0.3)
        b = forwarder(sessions, p, POLICY, timeout_s=0.3)
        async with running(a), running(b), asyncio.timeout(120):
            rows = await settled(sessions)
    assert len(p.faults_met) >= 40, "the faults did not happen: the test proves nothing"
    assert {"error", "rate_limit", "hang", "drop", "slow"} <= set(p.faults_met)
    assert [r.fwd_state for r in rows] == ["sent"] * N
    assert sorted(p.ratings) == sorted(f"kfleet-{i}" for i in ids), "lost or extra ratings"
    for r in rows:
        assert r.fwd_ref == p.ratings[f"kfleet-{r.id}"]["ratingId"]
    assert len({r.fwd_ref for r in rows}) == N
    assert sum(r.fwd_attempts for r in rows) > N, "no row was ever retried"


async def test_nothing_lost_over_a_burst_with_faults(tmp_path: Path) -> None:
    await _burst(f"sqlite+aiosqlite:///{tmp_path / 'burst.db'}")


@pytest.mark.postgres
async def test_nothing_lost_over_a_burst_with_faults_on_postgresql(pg_database: str) -> None:
    await _burst(pg_database)
