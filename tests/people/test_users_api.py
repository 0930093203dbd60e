"""/api/v1/users: an administrator creates, changes, disables, unlocks and resets people
inside their own scope and no stronger than themselves; every change is in the audit log."""

from __future__ import annotations

from pathlib import Path

import httpx

from fleet.access import PersonRole
from tests.identity_kit import make_user
from tests.people.kit import (
    OTHER_TOWN,
    PASSWORD,
    TOWN,
    Cloud,
    audit_rows,
    login,
    people_cloud,
    signed_in,
)


async def _post(http: httpx.AsyncClient, csrf: str, path: str, **body: object) -> httpx.Response:
    return await http.post(path, json=body or None, headers={"X-CSRF-Token": csrf})


async def _town_admin(cloud: Cloud) -> str:
    """Log cloud.http in as an administrator of TOWN; people here and in OTHER_TOWN exist."""
    await make_user(cloud.sessions, "here-op", PersonRole.OPERATOR, TOWN)
    await make_user(cloud.sessions, "there-op", PersonRole.OPERATOR, OTHER_TOWN)
    return await signed_in(cloud, cloud.http, "town-admin", PersonRole.ADMINISTRATOR, TOWN)


async def test_create_user_with_role_and_generated_password(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await _town_admin(cloud)
        r = await _post(
            cloud.http, csrf, "/api/v1/users", username="Wang.Li", role="window_staff",
            scope=f"{TOWN}", display_name="王丽",
        )  # fmt: skip
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["user"]["username"] == "wang.li" and body["user"]["display_name"] == "王丽"
        assert body["user"]["must_change_password"] is True
        password = body["password"]
        assert len(password) >= 20
        first = await login(cloud.client(), "wang.li", password)
        assert first.status_code == 200 and first.json()["must_change_password"] is True
        rows = await audit_rows(cloud, "user.create")
        assert [(a.actor, a.target, a.site) for a in rows] == [
            ("user:town-admin", "user:wang.li", TOWN)
        ]
        again = await _post(
            cloud.http, csrf, "/api/v1/users", username="wang.li", role="auditor", scope=TOWN
        )
        assert again.status_code == 409


async def test_create_refuses_weak_password_outside_scope_and_unknown_site(
    tmp_path: Path,
) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await _town_admin(cloud)
        new = {"username": "xu", "role": "operator", "scope": TOWN}
        weak = await _post(cloud.http, csrf, "/api/v1/users", **new, password="xu")
        assert weak.status_code == 422 and weak.json()["code"] == "weak_password"
        wide = await _post(cloud.http, csrf, "/api/v1/users", **{**new, "scope": "qh/hx"})
        assert wide.status_code == 403 and wide.json()["code"] == "beyond_your_scope"
        ghost = await _post(cloud.http, csrf, "/api/v1/users", **{**new, "scope": f"{TOWN}/x9"})
        assert ghost.status_code == 422 and "not a site" in ghost.json()["message"]
        assert await audit_rows(cloud, "user.create") == []


async def test_list_is_scoped(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        await _town_admin(cloud)
        names = [u["username"] for u in (await cloud.http.get("/api/v1/users")).json()]
        assert names == ["here-op", "town-admin"]


async def test_users_outside_the_scope_do_not_exist(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await _town_admin(cloud)
        for action in ("disable", "unlock", "reset-password"):
            r = await _post(cloud.http, csrf, f"/api/v1/users/there-op/{action}")
            assert r.status_code == 404, action
        r = await cloud.http.patch(
            "/api/v1/users/there-op", json={"role": "auditor"}, headers={"X-CSRF-Token": csrf}
        )
        assert r.status_code == 404


async def test_patch_role_and_scope_within_limits(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await _town_admin(cloud)
        h = {"X-CSRF-Token": csrf}
        r = await cloud.http.patch("/api/v1/users/here-op", json={"role": "auditor"}, headers=h)
        assert r.status_code == 200 and r.json()["role"] == "auditor"
        assert "audit.read" in r.json()["permissions"]
        away = await cloud.http.patch(
            "/api/v1/users/here-op", json={"scope": OTHER_TOWN}, headers=h
        )
        assert away.status_code == 403 and away.json()["code"] == "beyond_your_scope"
        me = await cloud.http.patch("/api/v1/users/town-admin", json={"role": "auditor"}, headers=h)
        assert me.status_code == 409
        rows = await audit_rows(cloud, "user.update")
        assert [(a.target, a.message) for a in rows] == [
            ("user:here-op", f"role operator→auditor, scope {TOWN}→{TOWN}")
        ]


async def test_disable_ends_sessions_and_enable_restores(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await _town_admin(cloud)
        victim = cloud.client()
        assert (await login(victim, "here-op")).status_code == 200
        assert (await victim.get("/api/v1/tokens")).status_code == 200
        r = await _post(cloud.http, csrf, "/api/v1/users/here-op/disable")
        assert r.status_code == 200 and r.json()["disabled"] is True
        assert (await victim.get("/api/v1/tokens")).status_code == 401
        assert (await login(cloud.client(), "here-op")).json()["code"] == "user_disabled"
        me = await _post(cloud.http, csrf, "/api/v1/users/town-admin/disable")
        assert me.status_code == 409 and "your own account" in me.json()["message"]
        r = await _post(cloud.http, csrf, "/api/v1/users/here-op/enable")
        assert r.json()["disabled"] is False
        assert (await victim.get("/api/v1/tokens")).status_code == 401  # ended, not paused
        assert (await login(cloud.client(), "here-op")).status_code == 200
        rows = await audit_rows(cloud, "user.disable")
        assert [a.message for a in rows] == ["disabled", "enabled"]


async def test_reset_password_returns_a_new_one_once(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await _town_admin(cloud)
        r = await _post(cloud.http, csrf, "/api/v1/users/here-op/reset-password")
        assert r.status_code == 200
        new = r.json()["password"]
        assert (await login(cloud.client(), "here-op", PASSWORD)).status_code == 401
        fresh = await login(cloud.client(), "here-op", new)
        assert fresh.status_code == 200 and fresh.json()["must_change_password"] is True
        listed = (await cloud.http.get("/api/v1/users")).text
        assert new not in listed
        me = await _post(cloud.http, csrf, "/api/v1/users/town-admin/reset-password")
        assert me.status_code == 409 and "change password" in me.json()["message"]
        rows = await audit_rows(cloud, "user.password")
        assert [(a.actor, a.target) for a in rows] == [("user:town-admin", "user:here-op")]


async def test_only_users_manage_may_manage(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await signed_in(cloud, cloud.http, "op", PersonRole.OPERATOR, TOWN)
        r = await cloud.http.get("/api/v1/users")
        assert r.status_code == 403 and "users.manage" in r.json()["message"]
        r = await _post(
            cloud.http, csrf, "/api/v1/users", username="x1", role="auditor", scope=TOWN
        )
        assert r.status_code == 403
        denied = await audit_rows(cloud, "permission.denied")
        assert len(denied) == 2 and denied[0].actor == "user:op"
        assert (await cloud.client().get("/api/v1/users")).status_code == 401
