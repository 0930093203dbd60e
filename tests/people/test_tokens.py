"""API tokens: the secret shown once and working as a bearer, never wider than its creator
(role and scope), optional expiry, revocation, others' tokens only with users.manage inside
one's scope, and an audit row for each change."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx

from cloud.auth.resolve import Presented, SessionPolicy, resolve
from cloud.db.models import utcnow
from cloud.errors import Unauthenticated
from fleet.access import PersonRole
from tests.identity_kit import bearer
from tests.people.kit import OTHER_TOWN, TOWN, Cloud, audit_rows, people_cloud, signed_in


async def _make(http: httpx.AsyncClient, csrf: str, **body: object) -> httpx.Response:
    return await http.post("/api/v1/tokens", json=body, headers={"X-CSRF-Token": csrf})


async def test_token_shown_once_works_and_is_listed_without_secret(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await signed_in(cloud, cloud.http, "olga", PersonRole.OPERATOR, TOWN)
        r = await _make(cloud.http, csrf, name="queue-system")
        assert r.status_code == 201, r.text
        made = r.json()
        secret = made["secret"]
        assert secret.startswith(f"kfa_{made['token']['id']}_")
        assert (made["token"]["role"], made["token"]["scope"]) == ("operator", TOWN)
        integration = cloud.client()
        listed = await integration.get("/api/v1/tokens", headers=bearer(secret))
        assert listed.status_code == 200
        assert [t["name"] for t in listed.json()] == ["queue-system"]
        assert secret not in listed.text and secret.split("_", 2)[2] not in listed.text
        rows = await audit_rows(cloud, "token.create")
        assert [(a.actor, a.target, a.site) for a in rows] == [
            ("user:olga", "token:queue-system", TOWN)
        ]


async def test_token_is_never_wider_than_its_creator(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await signed_in(cloud, cloud.http, "pete", PersonRole.TECHNICIAN, TOWN)
        stronger = await _make(cloud.http, csrf, name="x", role="operator")
        assert stronger.status_code == 403 and stronger.json()["code"] == "beyond_your_role"
        assert "jobs.write" in stronger.json()["message"]
        wider = await _make(cloud.http, csrf, name="x", scope="qh/hx/golmud")
        assert wider.status_code == 403 and wider.json()["code"] == "beyond_your_scope"
        sideways = await _make(cloud.http, csrf, name="x", scope=OTHER_TOWN)
        assert sideways.status_code == 403
        narrower = await _make(cloud.http, csrf, name="ro", role="auditor", scope=TOWN)
        assert narrower.status_code == 403  # auditor has audit.read, a technician has not
        weaker = await _make(cloud.http, csrf, name="read", role="window_staff")
        assert weaker.status_code == 403  # window staff write jobs; technicians do not
        ok = await _make(cloud.http, csrf, name="same", role="technician", scope=TOWN)
        assert ok.status_code == 201
        assert len(await audit_rows(cloud, "token.create")) == 1


async def test_an_api_token_cannot_make_tokens(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await signed_in(cloud, cloud.http, "quinn")
        secret = (await _make(cloud.http, csrf, name="ci")).json()["secret"]
        r = await cloud.client().post("/api/v1/tokens", json={"name": "y"}, headers=bearer(secret))
        assert r.status_code == 403 and r.json()["code"] == "console_login_needed"


async def _token_code(cloud: Cloud, secret: str, at_s: float) -> str:
    try:
        async with cloud.sessions() as s:
            presented = Presented(f"Bearer {secret}", None, None, "GET", "")
            now = utcnow() + timedelta(seconds=at_s)
            await resolve(s, presented, SessionPolicy(600, 3600), now)
    except Unauthenticated as exc:
        return exc.code
    return "ok"


async def test_token_expires(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await signed_in(cloud, cloud.http, "rosa")
        made = (await _make(cloud.http, csrf, name="short", expires_in_days=1)).json()
        assert made["token"]["expires_at"] is not None
        assert await _token_code(cloud, made["secret"], 86400 - 60) == "ok"
        assert await _token_code(cloud, made["secret"], 86400 + 60) == "token_expired"
        forever = (await _make(cloud.http, csrf, name="long")).json()
        assert forever["token"]["expires_at"] is None
        assert await _token_code(cloud, forever["secret"], 86400 * 3650) == "ok"


async def test_revoke_own_token(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        csrf = await signed_in(cloud, cloud.http, "sam", PersonRole.WINDOW_STAFF, TOWN)
        made = (await _make(cloud.http, csrf, name="desk")).json()
        tid = made["token"]["id"]
        r = await cloud.http.delete(f"/api/v1/tokens/{tid}", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200 and r.json()["revoked_at"] is not None
        after = await cloud.client().get("/api/v1/tokens", headers=bearer(made["secret"]))
        assert after.status_code == 401 and after.json()["code"] == "token_revoked"
        again = await cloud.http.delete(f"/api/v1/tokens/{tid}", headers={"X-CSRF-Token": csrf})
        assert again.status_code == 409
        rows = await audit_rows(cloud, "token.revoke")
        assert [(a.actor, a.target) for a in rows] == [("user:sam", "token:desk")]


async def test_managers_see_and_revoke_others_tokens_in_their_scope_only(tmp_path: Path) -> None:
    async with people_cloud(tmp_path) as cloud:
        here, there = cloud.client(), cloud.client()
        c_here = await signed_in(cloud, here, "tina", PersonRole.OPERATOR, TOWN)
        c_there = await signed_in(cloud, there, "uma", PersonRole.OPERATOR, OTHER_TOWN)
        t_here = (await _make(here, c_here, name="here")).json()["token"]["id"]
        t_there = (await _make(there, c_there, name="there")).json()["token"]["id"]
        town_admin = cloud.client()
        c_admin = await signed_in(cloud, town_admin, "vera", PersonRole.ADMINISTRATOR, TOWN)
        assert (await town_admin.get("/api/v1/tokens")).json() == []  # own: none
        every = (await town_admin.get("/api/v1/tokens", params={"all": "true"})).json()
        assert [(t["name"], t["owner"]) for t in every] == [("here", "tina")]
        csrf = {"X-CSRF-Token": c_admin}
        outside = await town_admin.delete(f"/api/v1/tokens/{t_there}", headers=csrf)
        assert outside.status_code == 404
        inside = await town_admin.delete(f"/api/v1/tokens/{t_here}", headers=csrf)
        assert inside.status_code == 200
        # an operator cannot revoke another operator's token, nor list everyone's
        peer = await there.delete(f"/api/v1/tokens/{t_here}", headers={"X-CSRF-Token": c_there})
        assert peer.status_code == 404
        r = await there.get("/api/v1/tokens", params={"all": "true"})
        assert r.status_code == 403 and "users.manage" in r.json()["message"]
