"""Bad rule and silence input is refused with a 422 that names the field and says why; list
filters and paging; silences are created, listed, expired and audited."""

from __future__ import annotations

from typing import Any

import pytest

from cloud.db.models import utcnow
from tests.access.kit import AccessCloud
from tests.alerts.api_kit import operator, rules_by_name
from tests.alerts.kit import RecordingNotifier, add_device, printer

GOOD = {
    "name": "disk",
    "kind": "metric",
    "params": {"name": "sys.disk_pct", "op": ">", "threshold": 90},
}


@pytest.mark.parametrize(
    ("change", "loc", "words"),
    [
        (
            {"params": {"name": "sys.disk_pct", "op": ">", "threshold": "high"}},
            ["body", "params", "threshold"],
            "must be a number",
        ),
        (
            {"params": {"name": "sys.disk_pct", "op": ">"}},
            ["body", "params", "threshold"],
            "required",
        ),
        (
            {"params": {"name": "sys.disk_pct", "op": "~", "threshold": 1}},
            ["body", "params", "op"],
            "one of",
        ),
        ({"params": {"name": "disk", "threshold": 1}}, ["body", "params", "name"], "sys.disk_pct"),
        (
            {"params": {"name": "sys.disk_pct", "threshold": 1, "window": 3}},
            ["body", "params", "window"],
            "not a parameter",
        ),
        (
            {"kind": "peripheral", "params": {"conditions": ["paper_gone"]}},
            ["body", "params", "conditions"],
            "paper_out",
        ),
        ({"kind": "presence", "params": {"after_s": -5}}, ["body", "params", "after_s"], "between"),
        ({"kind": "job_failure", "params": {"rate": 2}}, ["body", "params", "rate"], "between"),
        ({"kind": "weather"}, ["body", "kind"], ""),
        ({"severity": "urgent"}, ["body", "severity"], ""),
        ({"for_s": -1}, ["body", "for_s"], ""),
        ({"name": " "}, ["body", "name"], ""),
    ],
)
async def test_a_bad_rule_is_refused_naming_the_field(
    api: AccessCloud, change: dict[str, Any], loc: list[str], words: str
) -> None:
    http = await operator(api)
    r = await http.post("/api/v1/alert-rules", json={**GOOD, **change})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "validation_error"
    assert body["errors"][0]["loc"][: len(loc)] == loc, body
    assert words in body["errors"][0]["msg"] and words in body["message"], body
    assert "disk" not in await rules_by_name(http)  # nothing was stored


async def test_a_channel_the_message_service_lacks_is_a_conflict(api: AccessCloud) -> None:
    r = await (await operator(api)).post(
        "/api/v1/alert-rules", json={**GOOD, "channels": ["pager"]}
    )
    assert (r.status_code, r.json()["code"]) == (409, "unknown_channel")
    assert "unknown channel 'pager'" in r.json()["message"] and "webhook" in r.json()["message"]


async def test_silences_are_created_listed_expired_and_audited(api: AccessCloud) -> None:
    http = await operator(api)
    paper = (await rules_by_name(http))["paper out"]
    r = await http.post(
        "/api/v1/silences",
        json={"rule_id": paper, "duration_s": 3600, "reason": "换纸 / replacing paper rolls"},
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["active"], made["site"], made["rule_id"]) == (True, "qh", paper)
    listed = (await http.get("/api/v1/silences")).json()
    assert [x["id"] for x in listed] == [made["id"]]
    r = await http.post(f"/api/v1/silences/{made['id']}/expire")
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await http.get("/api/v1/silences")).json() == []
    assert len((await http.get("/api/v1/silences", params={"active": False})).json()) == 1
    assert (await http.post(f"/api/v1/silences/{made['id']}/expire")).status_code == 409
    assert [r.action for r in await api.audit_rows("silence.create")] == ["silence.create"]
    assert len(await api.audit_rows("silence.expire")) == 1


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"subject": "device:k1", "reason": "x"}, 422, "duration_s"),
        ({"subject": "device:k1", "reason": "x", "duration_s": 59}, 422, "duration_s"),
        ({"subject": "k1", "reason": "x", "duration_s": 60}, 422, "subject"),
        ({"subject": "device:k1", "reason": " ", "duration_s": 60}, 422, "reason"),
        ({"rule_id": 999, "reason": "x", "duration_s": 60}, 404, "does not exist"),
    ],
)
async def test_a_bad_silence_says_what_is_wrong(
    api: AccessCloud, body: dict[str, Any], status: int, words: str
) -> None:
    r = await (await operator(api)).post("/api/v1/silences", json=body)
    assert r.status_code == status, r.text
    assert words in r.json()["message"]


async def test_a_silence_of_a_whole_hall_covers_every_rule_there(
    api: AccessCloud, notifier: RecordingNotifier
) -> None:
    http = await operator(api)
    r = await http.post(
        "/api/v1/silences",
        json={"site": "qh/hx/golmud/hhl", "duration_s": 600, "reason": "停电检修 / power work"},
    )
    assert r.status_code == 201, r.text
    await add_device(
        api.parts.sessions, "k1", last_seen=utcnow(), peripherals=[printer("offline", "paper_out")]
    )
    assert await api.parts.alerts.evaluate_once()
    [alert] = [
        a
        for a in (await http.get("/api/v1/alerts")).json()["items"]
        if a["rule_name"] == "paper out"
    ]
    assert alert["silenced"] is True and notifier.got == []


async def test_a_silence_outside_the_callers_scope_is_refused(api: AccessCloud) -> None:
    town = await operator(api, "qh/hx/golmud/hhl")
    body = {"subject": "device:k1", "reason": "x", "duration_s": 60, "site": "qh/hx/golmud/tgls"}
    assert (await town.post("/api/v1/silences", json=body)).status_code == 404


async def test_lists_filter_by_state_severity_site_and_device_and_page(api: AccessCloud) -> None:
    for i in range(3):
        await add_device(
            api.parts.sessions,
            f"k{i}",
            last_seen=utcnow(),
            peripherals=[printer("offline", "paper_out")],
        )
    await add_device(
        api.parts.sessions,
        "t1",
        "qh/hx/golmud/tgls",
        last_seen=utcnow(),
        peripherals=[printer("offline", "paper_out")],
    )
    assert await api.parts.alerts.evaluate_once()
    http = await operator(api)
    paper = (await rules_by_name(http))["paper out"]
    page = (await http.get("/api/v1/alerts", params={"rule_id": paper, "limit": 3})).json()
    assert len(page["items"]) == 3 and page["next_cursor"] is not None
    rest = (
        await http.get("/api/v1/alerts", params={"rule_id": paper, "cursor": page["next_cursor"]})
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    tgls = (await http.get("/api/v1/alerts", params={"site": "qh/hx/golmud/tgls"})).json()["items"]
    assert {a["device_id"] for a in tgls} == {"t1"}
    assert (await http.get("/api/v1/alerts", params={"severity": "info"})).json()["items"] == []
    assert (await http.get("/api/v1/alerts", params={"state": "resolved"})).json()["items"] == []
    town = await operator(api, "qh/hx/golmud/tgls")
    assert {a["device_id"] for a in (await town.get("/api/v1/alerts")).json()["items"]} == {"t1"}
    assert (await http.get("/api/v1/alerts", params={"state": "gone"})).status_code == 422
