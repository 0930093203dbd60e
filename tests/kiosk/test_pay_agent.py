"""The kiosk agent's 生活缴费 routes against a real cloud (in-process, the kiosk's device
credentials): the account and the bill stay in the agent's session, a double tap is one order,
the QR is drawn on the agent, and a clear forgets everything."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import httpx
import pytest
from starlette.applications import Starlette

from edge_agent.kiosk import pay
from edge_agent.kiosk.parts import KioskParts, KioskView
from edge_agent.kiosk.session import KioskSession
from tests.kiosk.pay_kit import ACCOUNTS, PayEnv, pay_env
from tests.kiosk.test_queries_agent import InProcessCloud


@pytest.fixture
async def env(
    tmp_path: Path, amqtt_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[PayEnv]:
    async with pay_env(tmp_path, amqtt_url, monkeypatch) as e:
        yield e


def _agent(env: PayEnv, tmp_path: Path) -> tuple[KioskParts, httpx.AsyncClient]:
    parts = KioskParts(
        view=cast(KioskView, object()),
        cloud=InProcessCloud(env.kiosk),
        session=KioskSession(tmp_path / "session"),
    )
    app = Starlette(routes=pay.routes(parts))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://agent")
    return parts, client


async def test_bill_order_qr_and_a_clear(env: PayEnv, tmp_path: Path) -> None:
    parts, agent = _agent(env, tmp_path)
    async with agent:
        early = await agent.post("/kiosk/api/pay/orders", json={"channel": "double"})
        assert (early.status_code, early.json()["code"]) == (409, "no_bill")
        bad = await agent.post("/kiosk/api/pay/bills/water", json={"account": "12 34"})
        assert (bad.status_code, bad.json()["code"]) == (422, "account_invalid")
        bill = await agent.post("/kiosk/api/pay/bills/water", json={"account": ACCOUNTS["water"]})
        assert bill.status_code == 200 and ACCOUNTS["water"] not in bill.text
        first = await agent.post("/kiosk/api/pay/orders", json={"channel": "double"})
        again = await agent.post("/kiosk/api/pay/orders", json={"channel": "double"})
        assert first.status_code == again.status_code == 201, again.text
        assert first.json()["id"] == again.json()["id"]  # a double tap: one order
        order_id = first.json()["id"]
        qr = await agent.get(f"/kiosk/api/pay/orders/{order_id}/qr.svg")
        assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
        assert b"<svg" in qr.content
        requery = await agent.post("/kiosk/api/pay/bills/water", json={})
        assert requery.status_code == 200  # the held account asked again (查看新账单)
        cancelled = await agent.post(f"/kiosk/api/pay/orders/{order_id}/cancel")
        assert cancelled.json()["state"] == "closed"
        new = await agent.post("/kiosk/api/pay/orders", json={"channel": "double"})
        assert new.json()["id"] != order_id  # after 取消, choosing again is a new order
        parts.session.clear()  # idle or 退出
        assert parts.session.get(pay.BILL_KEY) is None
        gone = await agent.get(f"/kiosk/api/pay/orders/{new.json()['id']}/qr.svg")
        assert gone.status_code == 404
        after = await agent.post("/kiosk/api/pay/orders", json={"channel": "double"})
        assert (after.status_code, after.json()["code"]) == (409, "no_bill")
