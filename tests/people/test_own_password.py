"""Changing one's own password: the current one is needed, the policy applies, the person's
other sessions end (this one stays), and the must-change flag is cleared."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from cloud.db.identity import User
from tests.people.kit import PASSWORD, audit_rows, login, people_cloud, signed_in

NEW = "a brand new passphrase"


async def test_change_own_password(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await signed_in(cloud, cloud.http, "wendy")
        other = cloud.client()
        assert (await login(other, "wendy")).status_code == 200
        h = {"X-CSRF-Token": csrf}
        wrong = await cloud.http.post(
            "/api/v1/auth/password", json={"old_password": "nope", "new_password": NEW}, headers=h
        )
        assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_password"
        weak = await cloud.http.post(
            "/api/v1/auth/password",
            json={"old_password": PASSWORD, "new_password": "wendy"},
            headers=h,
        )
        assert weak.status_code == 422 and weak.json()["code"] == "weak_password"
        ok = await cloud.http.post(
            "/api/v1/auth/password", json={"old_password": PASSWORD, "new_password": NEW}, headers=h
        )
        assert ok.status_code == 204, ok.text
        assert (await cloud.http.get("/api/v1/tokens")).status_code == 200  # this one stays
        assert (await other.get("/api/v1/tokens")).status_code == 401  # the other ended
        assert (await login(cloud.client(), "wendy", PASSWORD)).status_code == 401
        assert (await login(cloud.client(), "wendy", NEW)).status_code == 200
        rows = await audit_rows(cloud, "user.password")
        assert [(a.result, a.actor) for a in rows] == [
            ("failed", "user:wendy"),
            ("ok", "user:wendy"),
        ]


async def test_change_clears_must_change(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await signed_in(cloud, cloud.http, "xena")
        async with cloud.sessions() as s:
            user = await s.scalar(select(User).where(User.username == "xena"))
            assert user is not None
            user.must_change_password = True
            await s.commit()
        r = await cloud.http.post(
            "/api/v1/auth/password",
            json={"old_password": PASSWORD, "new_password": NEW},
            headers={"X-CSRF-Token": csrf},
        )
        assert r.status_code == 204
        assert (await login(cloud.client(), "xena", NEW)).json()["must_change_password"] is False
