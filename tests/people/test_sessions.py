"""Console sessions: idle and absolute expiry from the settings, logout ends the session at
once, and unsafe requests need the session's CSRF token."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cloud.auth.resolve import Presented, SessionPolicy, resolve
from cloud.db.identity import UserSession
from cloud.db.models import utcnow
from cloud.errors import Unauthenticated
from tests.people.kit import Cloud, audit_rows, people_cloud, signed_in

IDLE, ABSOLUTE = 600, 3600


def _presented(cookie: str, method: str = "GET", csrf: str | None = None) -> Presented:
    return Presented(None, cookie, csrf, method, "127.0.0.1")


async def _code(cloud: Cloud, cookie: str, at_s: float, since: datetime | None = None) -> str:
    """``ok`` or the refusal code for ``cookie`` used ``at_s`` seconds after ``since`` (now)."""
    policy = SessionPolicy(IDLE, ABSOLUTE)
    at = (since or utcnow()) + timedelta(seconds=at_s)
    try:
        async with cloud.sessions() as s:
            await resolve(s, _presented(cookie), policy, at)
    except Unauthenticated as exc:
        return exc.code
    return "ok"


async def test_session_ends_after_idle_time(tmp_path: Path) -> None:
    async with people_cloud(tmp_path, session_idle_s=IDLE, session_absolute_s=ABSOLUTE) as cloud:
        await signed_in(cloud, cloud.http, "lena")
        cookie = cloud.http.cookies["kfleet_session"]
        sid = cookie.split(".")[0]
        async with cloud.sessions() as s:
            row = await s.get(UserSession, sid)
            assert row is not None
            assert row.expires_at - row.created_at == timedelta(seconds=IDLE)
            assert row.absolute_expires_at - row.created_at == timedelta(seconds=ABSOLUTE)
        # one time line: "now" read again per call let a loaded machine's seconds between the
        # calls eat the 5 s margin below
        t0 = utcnow()
        assert await _code(cloud, cookie, IDLE - 5, t0) == "ok"  # used: idle expiry moves on
        assert await _code(cloud, cookie, 2 * IDLE - 10, t0) == "ok"
        assert await _code(cloud, cookie, 3 * IDLE, t0) == "session_expired"  # idle too long


async def test_session_ends_at_absolute_expiry_however_used(tmp_path: Path) -> None:
    async with people_cloud(tmp_path, session_idle_s=IDLE, session_absolute_s=ABSOLUTE) as cloud:
        await signed_in(cloud, cloud.http, "mike")
        cookie = cloud.http.cookies["kfleet_session"]
        for at in range(300, ABSOLUTE, 300):  # used every 5 minutes
            assert await _code(cloud, cookie, at) == "ok", at
        assert await _code(cloud, cookie, ABSOLUTE + 1) == "session_expired"


async def test_logout_ends_the_session(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await signed_in(cloud, cloud.http, "nina")
        cookie = cloud.http.cookies["kfleet_session"]
        assert (await cloud.http.get("/api/v1/tokens")).status_code == 200
        r = await cloud.http.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 204
        assert 'kfleet_session=""' in r.headers.get("set-cookie", "")  # cleared in the browser
        stolen = cloud.client()  # a copy of the cookie kept elsewhere no longer works
        stolen.cookies.set("kfleet_session", cookie)
        r = await stolen.get("/api/v1/tokens")
        assert r.status_code == 401 and r.json()["code"] == "session_ended"
        rows = await audit_rows(cloud, "auth.logout")
        assert [(a.actor, a.result) for a in rows] == [("user:nina", "ok")]


@pytest.mark.parametrize("header", [None, "not-the-csrf-token"])
async def test_unsafe_request_needs_the_csrf_token(tmp_path: Path, header: str | None) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await signed_in(cloud, cloud.http, "owen")
        headers = {"X-CSRF-Token": header} if header else {}
        r = await cloud.http.post("/api/v1/tokens", json={"name": "ci"}, headers=headers)
        assert r.status_code == 401 and r.json()["code"] == "csrf_missing"
        assert "X-CSRF-Token" in r.json()["message"]
        ok = await cloud.http.post(
            "/api/v1/tokens", json={"name": "ci"}, headers={"X-CSRF-Token": csrf}
        )
        assert ok.status_code == 201, ok.text
        assert (await cloud.http.get("/api/v1/tokens")).status_code == 200  # safe: no header
