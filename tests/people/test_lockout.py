"""Lock-out: after login_max_failures wrong passwords in a row the account is locked for
login_lockout_s — even the right password is refused, with a message saying until when —
then it opens by itself, or sooner when an administrator unlocks it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.db.identity import User
from cloud.db.models import utcnow
from cloud.errors import Unauthenticated
from cloud.people import login as logins
from cloud.people.errors import AccountLocked
from cloud.people.policy import login_policy, passwords
from tests.identity_kit import make_user
from tests.people.kit import PASSWORD, Cloud, audit_rows, login, people_cloud, signed_in

LIMIT = 3


async def _fail(cloud: Cloud, username: str, times: int) -> list[int]:
    return [
        (await login(cloud.http, username, "wrong password!")).status_code for _ in range(times)
    ]


async def test_locked_after_n_failures_even_for_the_right_password(tmp_path: Path) -> None:
    async with people_cloud(tmp_path, login_max_failures=LIMIT, login_lockout_s=600) as cloud:
        await make_user(cloud.sessions, "gina")
        before = utcnow()
        assert await _fail(cloud, "gina", LIMIT) == [401, 401, 423]
        r = await login(cloud.http, "gina")  # the right password, too late
        assert r.status_code == 423
        body = r.json()
        assert body["code"] == "account_locked"
        until = datetime.fromisoformat(body["until"])
        assert before + timedelta(seconds=599) <= until <= utcnow() + timedelta(seconds=600)
        assert "is locked" in body["message"] and f"{until:%Y-%m-%d %H:%M:%S}" in body["message"]
        assert "ask an administrator" in body["message"]
        locked = await audit_rows(cloud, "auth.locked")
        assert [(a.target, a.result) for a in locked] == [("user:gina", "failed")]
        assert len(await audit_rows(cloud, "auth.login")) == LIMIT + 1


async def test_a_locked_account_costs_no_password_verification(tmp_path: Path) -> None:
    """While locked, guesses are refused before any argon2 work: hammering a locked account
    burns no CPU and learns nothing from timing."""
    async with people_cloud(tmp_path, login_max_failures=LIMIT, login_lockout_s=600) as cloud:
        await make_user(cloud.sessions, "gus")
        await _fail(cloud, "gus", LIMIT)
        hasher = passwords(cloud.settings)
        calls: list[str] = []
        real = hasher._verify

        def counting(stored: str, password: str) -> bool:
            calls.append(stored)
            return real(stored, password)

        hasher._verify = counting  # type: ignore[method-assign]
        try:
            assert (await login(cloud.http, "gus")).status_code == 423
        finally:
            hasher._verify = real  # type: ignore[method-assign]
        assert calls == []


async def test_a_success_resets_the_count(tmp_path: Path) -> None:
    async with people_cloud(tmp_path, login_max_failures=LIMIT) as cloud:
        await make_user(cloud.sessions, "hank")
        assert await _fail(cloud, "hank", LIMIT - 1) == [401, 401]
        assert (await login(cloud.http, "hank")).status_code == 200
        assert await _fail(cloud, "hank", LIMIT - 1) == [401, 401]  # not locked: count restarted


async def test_lock_runs_out_after_lockout_s(tmp_path: Path) -> None:
    async with people_cloud(tmp_path, login_max_failures=LIMIT, login_lockout_s=60) as cloud:
        await make_user(cloud.sessions, "ivy")
        await _fail(cloud, "ivy", LIMIT)
        pw, policy = passwords(cloud.settings), login_policy(cloud.settings)
        now = utcnow()
        with pytest.raises(AccountLocked):
            await logins.login(cloud.sessions, pw, policy, "ivy", PASSWORD, "", now)
        later = now + timedelta(seconds=61)
        done = await logins.login(cloud.sessions, pw, policy, "ivy", PASSWORD, "", later)
        assert done.user.username == "ivy"
        async with cloud.sessions() as s:
            user = await s.scalar(select(User).where(User.username == "ivy"))
            assert user is not None and user.failed_logins == 0 and user.locked_until is None


async def test_wrong_guesses_after_the_lock_ran_out_start_a_new_count(tmp_path: Path) -> None:
    async with people_cloud(tmp_path, login_max_failures=LIMIT, login_lockout_s=60) as cloud:
        await make_user(cloud.sessions, "jack")
        await _fail(cloud, "jack", LIMIT)
        pw, policy = passwords(cloud.settings), login_policy(cloud.settings)
        later = utcnow() + timedelta(seconds=61)
        with pytest.raises(Unauthenticated) as err:
            await logins.login(cloud.sessions, pw, policy, "jack", "wrong again!", "", later)
        assert err.value.code == "bad_login"  # not relocked by the first new guess


async def test_administrator_unlocks_sooner(tmp_path: Path) -> None:
    async with people_cloud(tmp_path, login_max_failures=LIMIT, login_lockout_s=3600) as cloud:
        await make_user(cloud.sessions, "kate")
        await _fail(cloud, "kate", LIMIT)
        admin = cloud.client()
        csrf = await signed_in(cloud, admin, "root-admin")
        users = (await admin.get("/api/v1/users")).json()
        assert next(u for u in users if u["username"] == "kate")["locked_until"] is not None
        r = await admin.post("/api/v1/users/kate/unlock", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
        assert r.json()["locked_until"] is None
        assert (await login(cloud.http, "kate")).status_code == 200
        rows = await audit_rows(cloud, "user.unlock")
        assert [(a.actor, a.target) for a in rows] == [("user:root-admin", "user:kate")]
