"""``ensure_first_admin`` (what ``kfleet demo`` calls to print its admin login)."""

from __future__ import annotations

from pathlib import Path

from cloud.people.first_admin import ensure_first_admin
from cloud.people.policy import passwords
from tests.people.kit import login, people_cloud


async def test_ensure_first_admin_once(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        pw = passwords(cloud.settings)
        password = await ensure_first_admin(cloud.sessions, "admin", pw=pw)
        assert password is not None and len(password) >= 20
        r = await login(cloud.http, "admin", password)
        assert r.status_code == 200
        body = r.json()
        assert (body["role"], body["scope"], body["must_change_password"]) == (
            "administrator",
            "qh",
            False,
        )
        assert await ensure_first_admin(cloud.sessions, "admin", pw=pw) is None
