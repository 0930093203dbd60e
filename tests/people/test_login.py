"""Login: cookies and CSRF, one answer for a wrong password and an unknown user (which still
costs a hash), disabled accounts, audit rows; argon2id hashes and their upgrade at login."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from cloud.db.identity import User, UserSession
from cloud.people import passwords as pw_module
from cloud.people.policy import passwords
from fleet.access import PersonRole
from tests.identity_kit import make_user
from tests.people.kit import FAST, PASSWORD, audit_rows, login, people_cloud


async def test_login_sets_session_and_csrf_cookies(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        await make_user(cloud.sessions, "alice", PersonRole.OPERATOR, "qh/hx")
        r = await login(cloud.http, " Alice ")  # case and blanks do not matter
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["username"], body["role"], body["scope"]) == ("alice", "operator", "qh/hx")
        assert "jobs.write" in body["permissions"]
        assert "users.manage" not in body["permissions"]
        cookies = r.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("kfleet_session="))
        csrf = next(c for c in cookies if c.startswith("kfleet_csrf="))
        assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/" in session
        assert "HttpOnly" not in csrf and "SameSite=strict" in csrf
        assert csrf.split(";")[0] == f"kfleet_csrf={body['csrf']}"
        sid = session.split("=", 1)[1].split(".")[0]
        async with cloud.sessions() as s:
            row = await s.get(UserSession, sid)
            assert row is not None and row.csrf == body["csrf"]
        ok = await audit_rows(cloud, "auth.login")
        assert [(a.actor, a.result, a.target) for a in ok] == [("user:alice", "ok", "user:alice")]


async def test_wrong_password_and_unknown_user_get_the_same_answer(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        await make_user(cloud.sessions, "bob")
        wrong = await login(cloud.http, "bob", "not the password")
        unknown = await login(cloud.http, "nobody-here", "not the password")
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()
        assert wrong.json()["code"] == "bad_login"
        assert "username or the password is wrong" in wrong.json()["message"]
        assert "kfleet_session" not in wrong.headers.get("set-cookie", "")
        rows = await audit_rows(cloud, "auth.login")
        assert [(a.result, a.target) for a in rows] == [
            ("failed", "user:bob"),
            ("failed", "user:nobody-here"),
        ]
        assert rows[1].message == "unknown username"


async def test_unknown_user_costs_a_password_verification(tmp_path: Path) -> None:
    """Constant-ish time: an unknown name is verified against a dummy hash, not answered
    at once (which would tell an attacker which usernames exist)."""
    async with people_cloud(tmp_path) as cloud:
        hasher = passwords(cloud.settings)
        calls: list[str] = []
        real = hasher._verify

        def counting(stored: str, password: str) -> bool:
            calls.append(stored)
            return real(stored, password)

        hasher._verify = counting  # type: ignore[method-assign]
        try:
            await login(cloud.http, "ghost", "whatever-password")
        finally:
            hasher._verify = real  # type: ignore[method-assign]
        assert len(calls) == 1 and calls[0].startswith("$argon2id$")


async def test_disabled_user_cannot_log_in(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        await make_user(cloud.sessions, "carol")
        async with cloud.sessions() as s:
            user = await s.scalar(select(User).where(User.username == "carol"))
            assert user is not None
            user.disabled = True
            await s.commit()
        r = await login(cloud.http, "carol")
        assert r.status_code == 401 and r.json()["code"] == "user_disabled"
        assert "disabled" in r.json()["message"]
        wrong = await login(cloud.http, "carol", "not the password")
        assert wrong.json()["code"] == "bad_login"  # no hint without the right password


async def test_hash_is_argon2id_and_upgraded_at_login(tmp_path: Path) -> None:
    """A hash made with other parameters is replaced by one with the current settings."""
    async with people_cloud(tmp_path, password_time_cost=2) as cloud:
        await make_user(cloud.sessions, "dave")  # identity_kit hashes with time_cost=1
        async with cloud.sessions() as s:
            before = await s.scalar(select(User.password_hash).where(User.username == "dave"))
        assert before is not None and before.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
        assert (await login(cloud.http, "dave")).status_code == 200
        async with cloud.sessions() as s:
            after = await s.scalar(select(User.password_hash).where(User.username == "dave"))
        assert after is not None and after.startswith("$argon2id$v=19$m=1024,t=2,p=1$")
        assert (await login(cloud.http, "dave", PASSWORD)).status_code == 200


async def test_hash_verify_and_policy() -> None:
    hasher = pw_module.passwords_for(
        pw_module.HashParams(FAST["password_time_cost"], FAST["password_memory_kib"], 1)
    )
    digest = await hasher.hash("a long enough secret")
    assert digest.startswith("$argon2id$")
    assert await hasher.verify(digest, "a long enough secret")
    assert not await hasher.verify(digest, "a long enough secreT")
    assert not await hasher.verify("not a hash", "a long enough secret")
    generated = pw_module.generate()
    pw_module.check_policy("erin", generated)
    assert generated != pw_module.generate()
