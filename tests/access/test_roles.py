"""Each role: one call its permissions allow, one they do not. A refusal is a 403 with code
``permission_denied`` naming the permission, and an audit row ``permission.denied``.

An administrator holds every permission: what it may not do is reach outside its scope
(``test_an_administrator_is_bounded_by_its_scope`` in test_scoping.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from fleet.access import PersonRole
from tests.access.kit import AccessCloud

SHA = "ab" * 32
VILLAGE = {"parent": "qh/hx/golmud", "level": "village", "name": "某村"}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class Case:
    role: PersonRole
    allowed: Call
    allowed_status: int
    forbidden: Call
    permission: str  # the one the forbidden call needs


CASES = [
    Case(
        PersonRole.OPERATOR,
        Call("GET", "/api/v1/stats/bus"),
        200,
        Call("POST", "/api/v1/sites", {**VILLAGE, "code": "opr"}),
        "sites.write",
    ),
    Case(
        PersonRole.TECHNICIAN,
        Call("GET", "/api/v1/devices"),
        200,
        Call("POST", f"/api/v1/jobs/{'0' * 32}/cancel"),
        "jobs.write",
    ),
    Case(
        PersonRole.WINDOW_STAFF,
        Call("POST", f"/api/v1/blobs/{SHA}/tokens", {"op": "put"}),
        200,
        Call("GET", "/api/v1/stats/bus"),
        "system.read",
    ),
    Case(
        PersonRole.AUDITOR,
        Call("GET", "/api/v1/jobs"),
        200,
        Call("POST", f"/api/v1/blobs/{SHA}/tokens", {"op": "put"}),
        "blobs.write",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.role.value for c in CASES])
async def test_a_role_may_do_what_it_holds_and_nothing_else(cloud: AccessCloud, case: Case) -> None:
    name = f"role-{case.role.value}"
    client = await cloud.as_role(case.role, name=name)
    ok = await client.request(case.allowed.method, case.allowed.path, json=case.allowed.body)
    assert ok.status_code == case.allowed_status, ok.text
    r = await client.request(case.forbidden.method, case.forbidden.path, json=case.forbidden.body)
    assert r.status_code == 403, r.text
    body = r.json()
    assert body["code"] == "permission_denied"
    assert f"does not include {case.permission}" in body["message"]
    assert case.role.value in body["message"] and "administrator" in body["message"]
    rows = await cloud.audit_rows("permission.denied", f"token:{name}")
    assert len(rows) == 1
    assert (
        rows[0].result == "denied"
        and rows[0].target == f"{case.forbidden.method} {case.forbidden.path}"
    )
    assert case.permission in rows[0].message


async def test_a_refused_call_changes_nothing(cloud: AccessCloud) -> None:
    auditor = await cloud.as_role(PersonRole.AUDITOR)
    r = await auditor.post("/api/v1/sites", json={**VILLAGE, "code": "nochange"})
    assert r.status_code == 403
    admin = await cloud.as_role(PersonRole.ADMINISTRATOR)
    tree = (await admin.get("/api/v1/sites")).json()
    assert "nochange" not in str(tree)
