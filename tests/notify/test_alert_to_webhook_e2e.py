"""Issue 12's end to end: real Mosquitto, the cloud, a real edge agent with a simulated ESC/POS
receipt printer. The printer runs out of paper → an alert opens within one telemetry period
and a webhook receiver gets it (signature verified) → paper returns → it resolves and the
receiver is told. A silenced rule notifies nobody, though its alert opens and resolves."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from tests.notify.e2e_kit import SITE, TELE_PERIOD_S, World, world

PAPER_OK, PAPER_OUT = 0, 2


async def _rule(w: World) -> int:
    rule = await w.post(
        "/api/v1/alert-rules",
        {
            "name": f"缺纸 {w.device} / paper out",
            "kind": "peripheral",
            "params": {"conditions": ["paper_out"], "kinds": []},
            "severity": "major",
            "for_s": 0,
            "repeat_s": 0,
            "site": SITE,
            "device_id": w.device,
            "channels": ["oncall-hook"],
            "enabled": True,
        },
    )
    rule_id: int = rule["id"]
    return rule_id


def _mine(w: World, rule_id: int) -> list[dict[str, Any]]:
    return [n for n in w.receiver.notices if n["rule_id"] == rule_id]


async def _run_out_and_refill(w: World, rule_id: int) -> tuple[dict[str, Any], float]:
    """Paper out until the rule's alert fires, then paper back until it resolves; returns the
    alert as it fired and the seconds from running out to the alert firing."""
    started = time.monotonic()
    w.printer.faults.paper_out = True
    (alert,) = await w.until(lambda: w.alerts(rule_id, state="firing"))
    fired_after = time.monotonic() - started
    print(f"alert fired {fired_after:.2f} s after the paper ran out")  # the figure, with -s
    await w.until(lambda: _paper_is(w, PAPER_OUT))  # the telemetry path saw it too
    w.printer.faults.paper_out = False
    await w.until(lambda: _resolved(w, rule_id, alert["id"]))
    return alert, fired_after


async def _paper_is(w: World, code: int) -> bool:
    return await w.paper_code() == code


async def _resolved(w: World, rule_id: int, alert_id: int) -> bool:
    return any(a["id"] == alert_id and a["state"] == "resolved" for a in await w.alerts(rule_id))


async def _recorded(w: World, alert_id: int) -> dict[str, Any] | None:
    """The alert's notification record once both were settled: the receiver gets a webhook
    before the cloud records its answer, so the first look may still say ``pending``."""
    record: dict[str, Any] = await w.get("/api/v1/notifications", alert=alert_id)
    items = record["items"]
    kinds = {i["kind"] for i in items}
    settled = kinds >= {"opened", "resolved"} and all(i["state"] != "pending" for i in items)
    return record if settled else None


async def test_paper_out_alerts_the_webhook_and_resolves(
    mosquitto_url: str, tmp_path: Path, uid: str
) -> None:
    async with world(mosquitto_url, tmp_path, uid) as w, asyncio.timeout(120):
        rule_id = await _rule(w)
        await w.until(lambda: _paper_is(w, PAPER_OK))  # telemetry flows before the fault
        alert, fired_after = await _run_out_and_refill(w, rule_id)
        await w.receiver.wait(lambda r: len(_mine(w, rule_id)) == 2)
        record = await w.until(lambda: _recorded(w, alert["id"]))
    assert fired_after <= TELE_PERIOD_S, f"the alert fired {fired_after:.1f} s after paper ran out"
    opened, resolved = _mine(w, rule_id)
    assert (opened["kind"], resolved["kind"]) == ("opened", "resolved")
    assert opened["alert_id"] == resolved["alert_id"] == alert["id"]
    assert opened["subject"] == f"peripheral:{w.device}/receipt" and opened["site"] == SITE
    assert opened["severity"] == "major" and "缺纸" in opened["summary"]
    assert w.receiver.bad_signatures == 0 and w.receiver.duplicates == 0
    assert {(i["kind"], i["state"]) for i in record["items"]} == {
        ("opened", "delivered"),
        ("resolved", "delivered"),
    }


async def test_a_silenced_rule_notifies_nobody(
    mosquitto_url: str, tmp_path: Path, uid: str
) -> None:
    async with world(mosquitto_url, tmp_path, uid) as w, asyncio.timeout(120):
        rule_id = await _rule(w)
        await w.post(
            "/api/v1/silences",
            {"rule_id": rule_id, "duration_s": 3600, "reason": "换纸演练 / paper drill"},
        )
        await w.until(lambda: _paper_is(w, PAPER_OK))
        alert, _ = await _run_out_and_refill(w, rule_id)
        # the control: the fleet's default "paper out" rule (not silenced, no channels named:
        # every configured one) saw the same paper run out, and its notices got through
        await w.receiver.wait(lambda r: [n["kind"] for n in others(w, rule_id)] == KINDS)
        silenced = await w.get(f"/api/v1/alerts/{alert['id']}")
        record = await w.get("/api/v1/notifications", alert=alert["id"])
    assert alert["silenced"] is True
    assert silenced["notices"] == 0 and silenced["state"] == "resolved"
    assert record["items"] == [] and _mine(w, rule_id) == []


KINDS = ["opened", "resolved"]


def others(w: World, rule_id: int) -> list[dict[str, Any]]:
    return [n for n in w.receiver.notices if n["rule_id"] != rule_id]
