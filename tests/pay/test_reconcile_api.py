"""``/api/v1/pay/reconciliations`` in the running cloud, against the bank simulators: a run on
demand finds a planted mismatch, is stored and listed; who may see it; refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from cloud.db.identity import AuditEntry
from cloud.hall.ticket_token import HALL_TZ
from cloud.settings import Settings
from cloud.wiring import Parts
from fleet.access import PersonRole
from tests.cloudkit import running_cloud
from tests.identity_kit import bearer, make_api_token
from tests.pay.reconcile_kit import Banks, banks, pay

URL = "/api/v1/pay/reconciliations"


@pytest.fixture
async def env(
    tmp_path: Path, amqtt_url: str
) -> AsyncIterator[tuple[Parts, httpx.AsyncClient, Banks]]:
    async with banks() as b:
        settings = Settings(data_dir=tmp_path, mqtt_url=amqtt_url, demo=True, **b.settings())  # type: ignore[arg-type]
        async with running_cloud(settings) as (cloud, client):
            assert cloud.kiosk is not None and cloud.kiosk.reconcile is not None
            cloud.kiosk.reconcile.ledger_source = lambda: b.ledger
            yield cloud, client, b


async def test_a_planted_mismatch_is_found_stored_and_listed(env) -> None:  # type: ignore[no-untyped-def]
    _cloud, client, b = env
    await pay(b, "icbc", "KF1", 1000)
    await pay(b, "icbc", "KF2", 2500)
    b.icbc_sim.book.amount_overrides["KF2"] = 2400
    r = await client.post(URL, json={"channel": "icbc", "day": b.day.isoformat()})
    assert r.status_code == 201, r.text
    run = r.json()
    assert (run["state"], run["matched"], run["mismatched"]) == ("mismatch", 1, 1)
    assert run["items"] == [
        {
            "outcome": "amount_differs",
            "out_trade_no": "KF2",
            "kind": "pay",
            "out_refund_no": "",
            "ledger_fen": 2500,
            "statement_fen": 2400,
            "order_id": "o-KF2",
            "trade_no": run["items"][0]["trade_no"],
        }
    ]
    listed = (await client.get(URL, params={"channel": "icbc"})).json()
    assert listed["channels"] == ["ccb", "icbc"]
    # the daily worker may have reconciled yesterday too (it runs at start past the hour)
    assert run["id"] in [x["id"] for x in listed["runs"]]
    assert {x["channel"] for x in listed["runs"]} == {"icbc"}
    detail = await client.get(f"{URL}/{run['id']}")
    assert detail.status_code == 200 and detail.json()["items"] == run["items"]
    assert (await client.get(f"{URL}/{'0' * 32}")).status_code == 404
    async with _cloud.sessions() as s:
        rows = (
            await s.scalars(select(AuditEntry).where(AuditEntry.action == "pay.reconcile.run"))
        ).all()
    assert [(r.target, r.detail["state"]) for r in rows] == [
        (f"reconciliation:{run['id']}", "mismatch")
    ]


async def test_refusals(env) -> None:  # type: ignore[no-untyped-def]
    cloud, client, b = env
    today = datetime.now(HALL_TZ).date().isoformat()
    r = await client.post(URL, json={"channel": "icbc", "day": today})
    assert r.status_code == 409 and r.json()["code"] == "day_not_finished"
    r = await client.post(URL, json={"channel": "alipay", "day": b.day.isoformat()})
    assert r.status_code == 409
    r = await client.post(URL, json={"channel": "icbc", "day": b.day.isoformat(), "x": 1})
    assert r.status_code == 422
    staff = await make_api_token(cloud.sessions, PersonRole.WINDOW_STAFF)
    assert (await client.get(URL, headers=bearer(staff))).status_code == 403
    auditor = await make_api_token(cloud.sessions, PersonRole.AUDITOR)
    assert (await client.get(URL, headers=bearer(auditor))).status_code == 200
