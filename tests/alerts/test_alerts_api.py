"""The alerts API on a running cloud: rules created through it apply without a restart,
acknowledging and silencing are audited and scoped, lists filter and page."""

from __future__ import annotations

from typing import Any

from cloud.db.models import utcnow
from cloud.notify.model import NoticeKind
from fleet.access import PersonRole
from tests.access.kit import AccessCloud
from tests.alerts.api_kit import operator, rules_by_name
from tests.alerts.kit import TGLS, RecordingNotifier, add_device, printer

PAPER = "peripheral:k1/rp1"


async def _paper_out(api: AccessCloud, notifier: RecordingNotifier) -> dict[str, Any]:
    """k1's printer is out of paper; the seeded 'paper out' rule opens an alert."""
    await add_device(
        api.parts.sessions, "k1", last_seen=utcnow(), peripherals=[printer("offline", "paper_out")]
    )
    api.parts.alerts.wake()
    await notifier.wait_for(NoticeKind.OPENED, PAPER)
    http = await operator(api)
    paper = (await rules_by_name(http))["paper out"]
    query = {"device": "k1", "rule_id": paper}
    [alert] = (await http.get("/api/v1/alerts", params=query)).json()["items"]
    return dict(alert)


async def test_the_seeded_paper_rule_opens_an_alert_and_an_operator_acknowledges_it(
    api: AccessCloud, notifier: RecordingNotifier
) -> None:
    alert = await _paper_out(api, notifier)
    assert (alert["state"], alert["rule_name"], alert["subject"]) == ("firing", "paper out", PAPER)
    # the seeded rule names no channel: it is told on every channel the service has
    assert [ch for n, ch in notifier.got if n.rule_name == "paper out"] == [["webhook", "sms"]]
    auditor = await api.as_role(PersonRole.AUDITOR)
    r = await auditor.post(f"/api/v1/alerts/{alert['id']}/ack", json={})
    assert (r.status_code, r.json()["code"]) == (403, "permission_denied")
    stranger = await operator(api, TGLS)
    r = await stranger.post(f"/api/v1/alerts/{alert['id']}/ack", json={})
    assert r.status_code == 404
    http = await operator(api)
    r = await http.post(f"/api/v1/alerts/{alert['id']}/ack", json={"note": "换纸中"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["acked_by"].startswith("token:") and body["ack_note"] == "换纸中"
    assert [e["kind"] for e in body["history"]][-2:] == ["acknowledged", "notified:acknowledged"]
    await notifier.wait_for(NoticeKind.ACKNOWLEDGED, PAPER)
    again = await http.post(f"/api/v1/alerts/{alert['id']}/ack", json={})
    assert again.status_code == 409
    [row] = await api.audit_rows("alert.ack")
    assert (row.target, row.site, row.message) == (f"alert:{alert['id']}", alert["site"], "换纸中")


async def test_a_rule_created_through_the_api_applies_without_a_restart(
    api: AccessCloud, notifier: RecordingNotifier
) -> None:
    await _paper_out(api, notifier)
    http = await operator(api)
    rule = {
        "name": "k1 printer offline",
        "kind": "peripheral",
        "device_id": "k1",
        "severity": "critical",
        "params": {"conditions": ["offline"]},
        "channels": ["sms"],
    }
    r = await http.post("/api/v1/alert-rules", json=rule)
    assert r.status_code == 201, r.text
    created = r.json()
    assert r.headers["location"] == f"/api/v1/alert-rules/{created['id']}"
    await notifier.wait_for(NoticeKind.OPENED, PAPER, rule_id=created["id"])
    told = [(n.rule_name, n.severity, ch) for n, ch in notifier.got if n.rule_id == created["id"]]
    assert told == [("k1 printer offline", "critical", ["sms"])]
    [row] = await api.audit_rows("alert_rule.create")
    assert row.detail["after"]["name"] == "k1 printer offline"


async def test_editing_and_disabling_a_rule_through_the_api(
    api: AccessCloud, notifier: RecordingNotifier
) -> None:
    alert = await _paper_out(api, notifier)
    http = await operator(api)
    rule_id = (await rules_by_name(http))["paper out"]
    rule = (await http.get(f"/api/v1/alert-rules/{rule_id}")).json()
    edit = {
        k: rule[k]
        for k in (
            "name",
            "kind",
            "params",
            "severity",
            "for_s",
            "repeat_s",
            "site",
            "role",
            "device_id",
            "channels",
        )
    }
    r = await http.put(f"/api/v1/alert-rules/{rule_id}", json={**edit, "enabled": False})
    assert r.status_code == 200, r.text
    assert await api.parts.alerts.evaluate_once()  # the next round, whoever runs it
    got = (await http.get(f"/api/v1/alerts/{alert['id']}")).json()
    assert (got["state"], got["history"][-1]["message"]) == ("resolved", "its rule was disabled")
    [row] = await api.audit_rows("alert_rule.update")
    assert row.detail["before"]["enabled"] is True and row.detail["after"]["enabled"] is False


async def test_town_operators_change_only_rules_inside_their_town(api: AccessCloud) -> None:
    town = await operator(api, "qh/hx/golmud/hhl")
    rule_id = (await rules_by_name(town))["paper out"]  # every site: they see it...
    rule = (await town.get(f"/api/v1/alert-rules/{rule_id}")).json()
    assert rule["editable"] is False
    r = await town.delete(f"/api/v1/alert-rules/{rule_id}")  # ...but may not change it
    assert (r.status_code, r.json()["code"]) == (403, "outside_scope")
    mine = {"name": "hhl paper", "kind": "peripheral", "site": "qh/hx/golmud/hhl"}
    r = await town.post("/api/v1/alert-rules", json=mine)
    assert r.status_code == 201, r.text
    r = await town.post("/api/v1/alert-rules", json={**mine, "name": "tgls", "site": TGLS})
    assert r.status_code == 403
    r = await town.post("/api/v1/alert-rules", json=mine)
    assert (r.status_code, r.json()["code"]) == (409, "conflict")
    viewer = await api.as_role(PersonRole.WINDOW_STAFF)
    assert (await viewer.get("/api/v1/alert-rules")).status_code == 200
    assert (await viewer.post("/api/v1/alert-rules", json={**mine, "name": "x"})).status_code == 403
