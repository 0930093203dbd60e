"""What several cloud workers must share, shared: each "worker" here is its own engine and
connection pool on one database (a process of its own differs only in memory, which is what
these services no longer keep). On SQLite (one file) and on PostgreSQL.

- a 人脸核验 challenge is single use across workers (``cloud.once``);
- the kiosk that uploaded an application page is known to every worker
  (``cloud.kiosk.apply_uploads``), so a page uploaded through one worker can be filed or
  reviewed through another.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db import migrate
from cloud.db.models import utcnow
from cloud.db.session import make_engine, make_sessions
from cloud.kiosk.apply_uploads import PageUpload, PageUploads
from cloud.kiosk.elderly_cert import CertService, ChallengeRefused
from cloud.kiosk.face_verify import FaceAnswer
from cloud.once import OnceClaims
from tests.faults.databases import PARAMS, SQLITE, fresh_postgres

Sessions = async_sessionmaker[AsyncSession]
KIOSK: Any = SimpleNamespace(name="hhl-kiosk-01")
LI = ("632801194003150328", "李桂英")


@pytest.fixture(params=PARAMS)
def database(request: pytest.FixtureRequest, tmp_path: Path, uid: str) -> Iterator[str]:
    if request.param == SQLITE:
        yield f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
        return
    with fresh_postgres(str(request.getfixturevalue("postgres_url")), f"kf_shared_{uid}") as url:
        yield url


@pytest.fixture
async def workers(database: str) -> AsyncIterator[tuple[Sessions, Sessions]]:
    """Two workers' session makers on one migrated database."""
    engines = [make_engine(database) for _ in range(2)]
    try:
        await migrate.upgrade(engines[0])
        yield make_sessions(engines[0]), make_sessions(engines[1])
    finally:
        for engine in engines:
            await engine.dispose()


class Verifier:
    def __init__(self) -> None:
        self.calls = 0

    async def verify(self, id_number: str, name: str, clip: bytes, actions: list[str]) -> Any:
        self.calls += 1
        return FaceAnswer("mismatch", 40.0)

    async def close(self) -> None:
        return None


def cert_service(sessions: Sessions, verifier: Verifier) -> CertService:
    elderly: Any = SimpleNamespace(today=lambda: date(2026, 12, 7))
    claims = OnceClaims(sessions, "elderly-cert")
    return CertService(elderly, verifier, "one-secret-for-all-workers", 3, claims)


async def test_a_challenge_redeemed_at_one_worker_is_refused_at_the_other(
    workers: tuple[Sessions, Sessions],
) -> None:
    verifier = Verifier()
    a, b = (cert_service(s, verifier) for s in workers)
    challenge = a.start(KIOSK, *LI)
    got = await b.verify(KIOSK, challenge.token, *LI, b"clip")  # issued by a, used at b
    assert got.result == "mismatch"
    for worker in (a, b):
        with pytest.raises(ChallengeRefused, match="used already"):
            await worker.verify(KIOSK, challenge.token, *LI, b"clip")
    assert verifier.calls == 1  # the face service saw the clip once


async def test_two_workers_claiming_one_nonce_at_once_make_one_winner(
    workers: tuple[Sessions, Sessions],
) -> None:
    expires = utcnow() + timedelta(minutes=3)
    for n in range(5):
        claims = [OnceClaims(s, "elderly-cert") for s in workers for _ in range(3)]
        won = await asyncio.gather(*(c.claim(f"nonce-{n}", expires) for c in claims))
        assert won.count(True) == 1, won


async def test_an_expired_claim_is_forgotten_and_other_scopes_are_apart(
    workers: tuple[Sessions, Sessions],
) -> None:
    a, b = workers
    past = utcnow() - timedelta(seconds=1)
    assert await OnceClaims(a, "elderly-cert").claim("n1", past)
    # the token of an expired claim is refused by its own expiry; its row may go
    assert await OnceClaims(b, "elderly-cert").claim("n1", utcnow() + timedelta(minutes=1))
    assert await OnceClaims(b, "other").claim("n1", utcnow() + timedelta(minutes=1))
    assert not await OnceClaims(a, "other").claim("n1", utcnow() + timedelta(minutes=1))


async def test_a_page_uploaded_through_one_worker_is_the_kiosks_at_the_other(
    workers: tuple[Sessions, Sessions],
) -> None:
    a, b = (PageUploads(s, ttl_s=3600) for s in workers)
    page, old = "a" * 64, "b" * 64
    assert await a.record(page, "hhl-kiosk-01") == []
    assert await b.owner(page) == "hhl-kiosk-01"
    assert await b.owner("c" * 64) is None
    await b.record(old, "hhl-kiosk-02")
    async with workers[0]() as s:  # the old page was uploaded two hours ago, never filed
        stamp = utcnow() - timedelta(hours=2)
        await s.execute(
            update(PageUpload).where(PageUpload.sha256 == old).values(uploaded_at=stamp)
        )
        await s.commit()
    assert await a.owner(old) is None  # past the time to file it
    assert await a.record("d" * 64, "hhl-kiosk-01") == [old]  # its blob is deleted by the caller
    await b.forget([page])  # filed through b
    assert await a.owner(page) is None
