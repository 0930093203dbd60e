"""The forwarder against the simulated platform over loopback HTTP: each row ends sent with
the platform's id, refused with its message, or pending for a later attempt — never lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cloud.db.models import utcnow
from cloud.hall.haocha import store
from cloud.hall.haocha.forwarder import ForwardPolicy
from simulators.haocha_platform import HaochaPlatform
from tests.hall.haocha_kit import (
    add_ratings,
    add_site,
    database,
    forwarder,
    ratings,
    running,
    settled,
    until,
)


def _db(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'haocha.db'}"


async def test_rated_rows_are_sent_with_the_platform_id(tmp_path: Path) -> None:
    async with HaochaPlatform() as p, database(_db(tmp_path)) as sessions:
        ids = await add_ratings(sessions, await add_site(sessions), 5)
        fwd = forwarder(sessions, p)
        async with running(fwd), asyncio.timeout(20):
            rows = await settled(sessions)
    assert [r.fwd_state for r in rows] == ["sent"] * 5
    assert sorted(p.ratings) == sorted(f"kfleet-{i}" for i in ids)
    for r in rows:
        held = p.ratings[f"kfleet-{r.id}"]
        assert r.fwd_ref == held["ratingId"] and r.fwd_attempts == 1
        assert (held["level"], held["caseNo"], held["windowNo"]) == (
            r.level,
            r.case_no,
            r.window_no,
        )
        assert held["ratedAt"] == r.rated_at.isoformat()


async def test_a_refused_rating_keeps_the_platform_message(tmp_path: Path) -> None:
    async with HaochaPlatform(sites={"qh/other"}) as p, database(_db(tmp_path)) as sessions:
        await add_ratings(sessions, await add_site(sessions), 1)
        fwd = forwarder(sessions, p)
        async with running(fwd), asyncio.timeout(20):
            (row,) = await settled(sessions)
    assert row.fwd_state == "refused" and row.fwd_attempts == 1
    assert row.fwd_error.startswith("UnknownSite: ") and "not registered" in row.fwd_error
    assert fwd.stats.refused == 1 and p.ratings == {}


async def test_unanswered_requests_are_skipped_not_sent(tmp_path: Path) -> None:
    async with HaochaPlatform() as p, database(_db(tmp_path)) as sessions:
        await add_ratings(sessions, await add_site(sessions), 2, level=None, outcome="timed_out")
        async with running(forwarder(sessions, p)), asyncio.timeout(20):
            rows = await settled(sessions)
    assert [r.fwd_state for r in rows] == ["skip", "skip"] and p.answers == []


async def test_5xx_timeout_429_and_drop_are_retried_until_sent(tmp_path: Path) -> None:
    """Each fault only delays the row; it ends sent, stored once, with the same id."""
    async with HaochaPlatform() as p, database(_db(tmp_path)) as sessions:
        p.faults.hang_s = 30.0  # until the client gives up (1 s)
        p.fail_next("error", "hang", "rate_limit", "drop", "error")
        (rid,) = await add_ratings(sessions, await add_site(sessions), 1)
        fwd = forwarder(sessions, p, timeout_s=1.0)
        async with running(fwd), asyncio.timeout(30):
            (row,) = await settled(sessions)
    assert p.faults_met == ["error", "hang", "rate_limit", "drop", "error"]
    assert row.fwd_state == "sent" and row.fwd_attempts == 6
    assert row.fwd_ref == p.ratings[f"kfleet-{rid}"]["ratingId"] and len(p.ratings) == 1
    assert fwd.stats.unavailable == 5 and fwd.stats.failing_since is None


async def test_retry_after_is_honoured(tmp_path: Path) -> None:
    """The platform says "not before 1 s"; the forwarder's own backoff (≤ 0.4 s) would have
    tried again sooner."""
    async with HaochaPlatform() as p, database(_db(tmp_path)) as sessions:
        p.fail_next("rate_limit")
        await add_ratings(sessions, await add_site(sessions), 1)
        fwd = forwarder(sessions, p)
        async with running(fwd), asyncio.timeout(20):
            await p.wait_answers(1)
            limited_at = asyncio.get_running_loop().time()
            await p.wait_answers(2)
            again_at = asyncio.get_running_loop().time()
            (row,) = await settled(sessions)
    assert row.fwd_state == "sent"
    assert again_at - limited_at >= 0.95, "asked again before Retry-After said"


async def test_wrong_credentials_keep_ratings_pending_with_the_reason(tmp_path: Path) -> None:
    async with HaochaPlatform() as p, database(_db(tmp_path)) as sessions:
        await add_ratings(sessions, await add_site(sessions), 2)
        fwd = forwarder(sessions, p, secret="wrong")
        async with running(fwd), asyncio.timeout(20):
            rows = await until(sessions, lambda rs: all(r.fwd_attempts >= 2 for r in rs))
    assert {r.fwd_state for r in rows} == {"pending"}
    assert all("BadSignature" in r.fwd_error for r in rows)
    assert fwd.stats.failing_since is not None and p.ratings == {}


async def test_two_forwarders_never_submit_one_row_at_once(tmp_path: Path) -> None:
    """Two cloud instances on one database: each row is claimed by one of them, so the
    platform sees every rating exactly once (no resend was needed: no fault)."""
    slow = ForwardPolicy(batch=8, concurrency=4, lease_s=30.0, backoff_s=0.05, poll_s=0.1)
    async with HaochaPlatform() as p, database(_db(tmp_path)) as sessions:
        p.faults.slow_rate, p.faults.slow_s = 1.0, 0.05
        await add_ratings(sessions, await add_site(sessions), 40)
        a, b = forwarder(sessions, p, slow), forwarder(sessions, p, slow)
        async with running(a), running(b), asyncio.timeout(60):
            rows = await settled(sessions)
    assert {r.fwd_state for r in rows} == {"sent"} and len(p.ratings) == 40
    assert set(p.submits.values()) == {1}, "a row was submitted by both instances"
    assert a.stats.sent > 0 and b.stats.sent > 0 and a.stats.sent + b.stats.sent == 40


async def test_a_row_read_by_two_instances_is_taken_by_one(tmp_path: Path) -> None:
    """The race itself, step by step: instance B reads the due rows, A claims them, then B
    tries to take what it read — the conditional UPDATE gives B nothing."""
    async with database(_db(tmp_path)) as sessions:
        ids = await add_ratings(sessions, await add_site(sessions), 3)
        async with sessions() as b:
            seen_by_b = await store.due_ids(b, utcnow(), 10)
        async with sessions() as a:
            taken_by_a = await store.claim(a, utcnow(), 30.0, 10)
            await a.commit()
        async with sessions() as b:
            taken_by_b = await store.take(b, seen_by_b, utcnow(), 30.0)
            await b.commit()
        rows = await ratings(sessions)
    assert seen_by_b == ids and sorted(c.id for c in taken_by_a) == ids
    assert taken_by_b == [], "a second instance took rows another had leased"
    assert [r.fwd_attempts for r in rows] == [1, 1, 1]


async def test_a_bad_rating_without_reasons_goes_as_other(tmp_path: Path) -> None:
    """Our pad lets a citizen skip the reason chips; the platform needs a reason for a 1 or
    2, so it goes as ``other`` instead of being refused."""
    async with HaochaPlatform() as p, database(_db(tmp_path)) as sessions:
        (rid,) = await add_ratings(sessions, await add_site(sessions), 1, level=1, reasons=[])
        async with running(forwarder(sessions, p)), asyncio.timeout(20):
            (row,) = await settled(sessions)
    assert row.fwd_state == "sent" and row.reasons == []
    assert p.ratings[f"kfleet-{rid}"]["reasons"] == ["other"]
