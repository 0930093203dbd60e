"""The principal cache (issue 17): a caller is read from the database once per few seconds,
yet a revoked token, a logged-out session, a disabled user or a changed role is refused on the
very next request — in this worker at once, in the others through the change hub."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from cloud.auth.cache import HUB_KEY, PrincipalCache, changes_identity
from cloud.auth.resolve import SESSION_COOKIE
from cloud.db.identity import ApiToken
from cloud.db.models import utcnow
from cloud.db.session import make_engine, make_sessions
from cloud.wiring import Parts
from fleet.access import PersonRole
from tests.faults.databases import fresh_postgres
from tests.identity_kit import bearer, make_api_token
from tests.people.kit import TOWN, Cloud, people_cloud, signed_in


def _parts(cloud: Cloud) -> Parts:
    transport = cloud.http._transport
    assert isinstance(transport, httpx.ASGITransport)
    parts: Parts = transport.app.state.parts  # type: ignore[attr-defined]
    return parts


async def _cached_token(cloud: Cloud) -> tuple[str, PrincipalCache]:
    """A token that has been used twice: the second time from the cache."""
    secret = await make_api_token(cloud.sessions, PersonRole.OPERATOR, TOWN, name="desk")
    cache = _parts(cloud).principals
    for _ in range(2):
        r = await cloud.client().get("/api/v1/auth/me", headers=bearer(secret))
        assert r.status_code == 200, r.text
    assert cache.hits >= 1
    return secret, cache


async def test_a_revoked_token_is_refused_on_the_next_request(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await signed_in(cloud, cloud.http, "ada")
        secret, _cache = await _cached_token(cloud)
        token_id = secret.split("_")[1]
        seen: list[tuple[str, str]] = []
        _parts(cloud).hub.relay = lambda key, value: seen.append((key, value))
        r = await cloud.http.delete(f"/api/v1/tokens/{token_id}", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
        after = await cloud.client().get("/api/v1/auth/me", headers=bearer(secret))
        assert after.status_code == 401 and after.json()["code"] == "token_revoked"
        assert (HUB_KEY, "changed") in seen  # the other workers are told


async def test_a_disabled_owner_or_a_changed_role_counts_on_the_next_request(
    tmp_path: Path,
) -> None:
    async with people_cloud(tmp_path) as cloud:
        admin = cloud.client()
        c_admin = await signed_in(cloud, admin, "bea")
        clerk = cloud.client()
        c_clerk = await signed_in(cloud, clerk, "cy", PersonRole.ADMINISTRATOR, TOWN)
        for _ in range(2):
            assert (await clerk.get("/api/v1/users")).status_code == 200
        r = await admin.patch(
            "/api/v1/users/cy", json={"role": "auditor"}, headers={"X-CSRF-Token": c_admin}
        )
        assert r.status_code == 200, r.text
        refused = await clerk.get("/api/v1/users")
        assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
        cookie = clerk.cookies[SESSION_COOKIE]
        # a cached console session still needs its CSRF token on an unsafe request
        no_csrf = await clerk.post("/api/v1/auth/logout")
        assert no_csrf.status_code == 401 and no_csrf.json()["code"] == "csrf_missing"
        assert (
            await clerk.post("/api/v1/auth/logout", headers={"X-CSRF-Token": c_clerk})
        ).is_success
        replayed = {"Cookie": f"{SESSION_COOKIE}={cookie}"}  # the logged-out cookie
        ended = await cloud.client().get("/api/v1/auth/me", headers=replayed)
        assert ended.status_code == 401 and ended.json()["code"] == "session_ended"
        secret, _cache = await _cached_token(cloud)
        r = await admin.post("/api/v1/users/desk/disable", headers={"X-CSRF-Token": c_admin})
        assert r.status_code == 200, r.text
        gone = await cloud.client().get("/api/v1/auth/me", headers=bearer(secret))
        assert gone.status_code == 401 and gone.json()["code"] == "user_disabled"


async def test_another_workers_revocation_arrives_through_the_hub(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        secret, cache = await _cached_token(cloud)
        # "another worker": its own engine on the same database, which this one cannot see
        other = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'kfleet.db'}")
        try:
            async with make_sessions(other)() as s:
                token_id = secret.split("_")[1]
                stmt = update(ApiToken).where(ApiToken.id == token_id)
                await s.execute(stmt.values(revoked_at=utcnow()))
                await s.commit()
        finally:
            await other.dispose()
        drops = cache.drops
        _parts(cloud).hub.deliver(HUB_KEY, "changed")  # what the relay does with its notice
        assert cache.drops == drops + 1
        after = await cloud.client().get("/api/v1/auth/me", headers=bearer(secret))
        assert after.status_code == 401 and after.json()["code"] == "token_revoked"


@pytest.mark.parametrize(
    ("sql", "changes"),
    [
        ("UPDATE api_tokens SET revoked_at=? WHERE api_tokens.id = ?", True),
        ("UPDATE api_tokens SET last_used_at=? WHERE api_tokens.id = ?", False),
        ("UPDATE user_sessions SET last_seen_at=?, expires_at=? WHERE user_sessions.id = ?", False),
        ("UPDATE user_sessions SET revoked_at=? WHERE user_sessions.user_id = ?", True),
        ("UPDATE users SET role=?, scope=?, updated_at=? WHERE users.id = ?", True),
        ("UPDATE devices SET last_seen=?, updated_at=? WHERE devices.id IN (?)", False),
        ("UPDATE devices SET revoked_at=?, revoked_reason=? WHERE devices.id = ?", True),
        ("UPDATE devices SET site_id=%(site_id)s WHERE devices.id = %(id_1)s", True),
        ("DELETE FROM device_credentials WHERE device_credentials.device_id = ?", True),
        ("UPDATE device_credentials SET retired_at=? WHERE device_credentials.id = ?", True),
        ("UPDATE sites SET path=? WHERE sites.id = ?", True),
        ("UPDATE jobs SET state=? WHERE jobs.id = ?", False),
        ("INSERT INTO api_tokens (id) VALUES (?)", False),
        ("SELECT api_tokens.id FROM api_tokens", False),
    ],
)
def test_which_statements_drop_the_cache(sql: str, changes: bool) -> None:
    assert changes_identity(sql) is changes


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    with fresh_postgres(postgres_url, f"kf_auth_{uuid.uuid4().hex[:8]}") as url:
        yield url


async def _relays_connected(a: Cloud, b: Cloud) -> None:
    """Until a probe published at ``a`` reaches ``b`` (both relays are listening)."""
    async with _parts(b).hub.subscribe("probe") as sub:
        for _ in range(100):
            _parts(a).hub.publish("probe", "ping")
            if await sub.wait_for(lambda v: v == "ping", 0.2) == "ping":
                return
    raise AssertionError("the hub relays never connected")


@pytest.mark.postgres
async def test_a_revocation_through_one_worker_is_refused_by_the_other(
    tmp_path: Path, pg_url: str
) -> None:
    """Two workers on one PostgreSQL, their hubs relayed by LISTEN/NOTIFY (cloud.hub_relay)."""
    shared = {"database_url": pg_url, "mqtt_shared_group": "kfleet"}
    async with (
        people_cloud(tmp_path / "a", **shared) as a,
        people_cloud(tmp_path / "b", **shared) as b,
    ):
        relays = [asyncio.create_task(_parts(c).relay.run()) for c in (a, b)]
        try:
            await _relays_connected(a, b)
            csrf = await signed_in(a, a.http, "dora")
            secret, cache_b = await _cached_token(b)
            token_id = secret.split("_")[1]
            async with _parts(b).hub.subscribe(HUB_KEY) as told:
                r = await a.http.delete(
                    f"/api/v1/tokens/{token_id}", headers={"X-CSRF-Token": csrf}
                )
                assert r.status_code == 200, r.text
                assert await told.wait_for(lambda v: v == "changed", 10) == "changed"
            after = await b.client().get("/api/v1/auth/me", headers=bearer(secret))
            assert after.status_code == 401 and after.json()["code"] == "token_revoked"
            assert cache_b.drops >= 1
        finally:
            for task in relays:
                task.cancel()
            await asyncio.gather(*relays, return_exceptions=True)
