"""GET /api/v1/audit: who may read (401 without credentials, 403 without audit.read), the
reader's subtree, filters as query parameters with precise 422s, and pages with a cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.audit.audit_db import Row, write_rows
from tests.audit.cloud_env import Env, audit_cloud

HHL = "qh/hx/golmud/hhl"
PATHS = ("/api/v1/audit", "/api/v1/audit/export.csv")


@pytest.fixture
async def env(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[Env]:
    async with audit_cloud(tmp_path, mosquitto_url, HHL) as e:
        await write_rows(
            e.parts.sessions,
            [
                Row("user:alice", "auth.login"),
                Row("user:bob", "device.enroll", HHL, target="device:k1"),
                Row("user:bob", "job.create", "qh/hx/delingha"),
                Row("token:ci", "device.revoke", f"{HHL}/w1", "failed"),
            ],
        )
        yield e


@pytest.mark.parametrize("path", PATHS)
async def test_no_credentials_is_401_and_no_audit_read_is_403(env: Env, path: str) -> None:
    bare = env.http.build_request("GET", path)
    bare.headers.pop("Authorization", None)  # whatever the test client sends by default
    r = await env.http.send(bare)
    assert r.status_code == 401, r.text
    assert r.json()["code"] == "no_credentials"
    r = await env.http.get(path, headers={"Authorization": "Bearer kfa_notatoken_atall"})
    assert r.status_code == 401, r.text
    r = await env.http.get(path, headers=env.operator)
    assert r.status_code == 403, r.text
    assert "audit.read" in r.json()["message"]
    assert (await env.http.get(path, headers=env.auditor)).status_code == 200


async def test_page_filters_and_cursor(env: Env) -> None:
    r = await env.http.get("/api/v1/audit", headers=env.auditor, params={"limit": 2})
    body = r.json()
    assert r.status_code == 200, body
    assert [i["action"] for i in body["items"]] == ["device.revoke", "job.create"]
    assert body["next_cursor"] == body["items"][-1]["id"]
    r = await env.http.get(
        "/api/v1/audit", headers=env.auditor, params={"limit": 2, "cursor": body["next_cursor"]}
    )
    assert [i["action"] for i in r.json()["items"]] == ["device.enroll", "auth.login"]
    params = {"action": "device.", "actor": "user:*", "from": "2026-12-01T16:00:00+08:00"}
    r = await env.http.get("/api/v1/audit", headers=env.auditor, params=params)
    (only,) = r.json()["items"]
    assert only["actor"] == "user:bob" and only["target"] == "device:k1" and only["site"] == HHL
    assert only["at"].startswith("2026-12-01T08:00:01")
    r = await env.http.get("/api/v1/audit", headers=env.auditor, params={"result": "failed"})
    assert [i["actor"] for i in r.json()["items"]] == ["token:ci"]


async def test_town_auditor_sees_only_the_town(env: Env) -> None:
    r = await env.http.get("/api/v1/audit", headers=env.town_auditor)
    got = [(i["action"], i["site"]) for i in r.json()["items"]]
    assert got == [("device.revoke", f"{HHL}/w1"), ("device.enroll", HHL)]
    r = await env.http.get(
        "/api/v1/audit", headers=env.town_auditor, params={"site": "qh/hx/delingha"}
    )
    assert r.status_code == 200 and r.json()["items"] == []


@pytest.mark.parametrize(
    ("params", "field", "says"),
    [
        ({"from": "2026-12-01T08:00:00"}, "from", "timezone"),
        ({"to": "yesterday"}, "to", "use ISO 8601"),
        ({"to": "0.5"}, "to", "use ISO 8601"),  # not Unix seconds
        ({"from": "1733040000"}, "from", "use ISO 8601"),
        ({"result": "maybe"}, "result", "'ok', 'denied' or 'failed'"),
        ({"limit": "0"}, "limit", "greater than or equal to 1"),
        ({"limit": "501"}, "limit", "less than or equal to 500"),
        ({"cursor": "0"}, "cursor", "greater than or equal to 1"),
        ({"site": "QH/../x"}, "site", "pattern"),
        ({"action": "Device.Revoke"}, "action", "pattern"),
        ({"actor": "user:\x1b[2J"}, "actor", "pattern"),
        ({"actor": "user:\x00"}, "actor", "NUL character"),
        ({"actor": "u" * 162}, "actor", "at most 161 characters"),
    ],
)
async def test_bad_filters_are_precise_422s(
    env: Env, params: dict[str, str], field: str, says: str
) -> None:
    # limit and cursor are the page's; the export takes every filter but not those
    for path in PATHS if field not in ("limit", "cursor") else PATHS[:1]:
        r = await env.http.get(path, headers=env.auditor, params=params)
        body = r.json()
        assert r.status_code == 422, body
        assert body["code"] == "validation_error"
        assert [e["loc"] for e in body["errors"]] == [["query", field]], body
        assert says in body["errors"][0]["msg"], body


@pytest.mark.parametrize(
    ("params", "rows"),
    [
        ({"from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"}, 0),  # inverted: empty
        ({"from": "0001-01-01T00:00:00+01:00"}, 4),  # before UTC's year 1: from the start
        ({"to": "9999-12-31T23:59:59-01:00"}, 4),  # past UTC's year 9999: to the end
        ({"from": "0001-01-01T00:00:00+01:00", "to": "0001-01-01T00:30:00+01:00"}, 0),
    ],
)
async def test_ranges_at_the_edges_are_answered_not_refused(
    env: Env, params: dict[str, str], rows: int
) -> None:
    r = await env.http.get(PATHS[0], headers=env.auditor, params=params)
    assert r.status_code == 200, r.text
    assert len(r.json()["items"]) == rows
    r = await env.http.get(PATHS[1], headers=env.auditor, params=params)
    assert r.status_code == 200, r.text
    assert r.text.count("\r\n") == 1 + rows


async def test_unknown_cursor_says_what_to_do(env: Env) -> None:
    r = await env.http.get("/api/v1/audit", headers=env.auditor, params={"cursor": 10**12})
    assert r.status_code == 404
    assert "next_cursor of the previous page" in r.json()["message"]


async def test_there_is_no_way_to_change_the_log(env: Env) -> None:
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        r = await env.http.request(method, "/api/v1/audit", headers=env.auditor)
        assert r.status_code == 405, (method, r.text)
    r = await env.http.get("/api/v1/audit", headers=env.auditor)
    assert len(r.json()["items"]) == 4
