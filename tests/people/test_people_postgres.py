"""On PostgreSQL: concurrent wrong passwords all count (the failure counter is updated under a
row lock), and the lock-out, login and token paths work as on SQLite."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.databases import fresh_postgres
from tests.identity_kit import make_user
from tests.people.kit import PASSWORD, audit_rows, login, people_cloud

pytestmark = pytest.mark.postgres
LIMIT = 4


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    with fresh_postgres(postgres_url, f"kf_people_{uuid.uuid4().hex[:8]}") as url:
        yield url


async def test_concurrent_wrong_passwords_all_count(tmp_path: Path, pg_url: str) -> None:
    async with people_cloud(
        tmp_path, database_url=pg_url, login_max_failures=LIMIT, login_lockout_s=600
    ) as cloud:
        await make_user(cloud.sessions, "yuri")
        answers = await asyncio.gather(
            *(login(cloud.client(), "yuri", f"guess number {i}") for i in range(LIMIT))
        )
        assert sorted(r.status_code for r in answers) == [401] * (LIMIT - 1) + [423]
        assert (await login(cloud.http, "yuri")).status_code == 423
        assert len(await audit_rows(cloud, "auth.locked")) == 1


async def test_login_and_token_on_postgres(tmp_path: Path, pg_url: str) -> None:
    async with people_cloud(tmp_path, database_url=pg_url) as cloud:
        await make_user(cloud.sessions, "zoe")
        r = await login(cloud.http, "zoe", PASSWORD)
        assert r.status_code == 200
        made = await cloud.http.post(
            "/api/v1/tokens", json={"name": "pg"}, headers={"X-CSRF-Token": r.json()["csrf"]}
        )
        assert made.status_code == 201
        listed = await cloud.client().get(
            "/api/v1/tokens", headers={"Authorization": f"Bearer {made.json()['secret']}"}
        )
        assert [t["name"] for t in listed.json()] == ["pg"]
