"""Payment orders on PostgreSQL, where requests really run side by side: the same notification
twice at once is applied once (one write-back to the company, the other a repeat), and the
same kiosk request twice at once is one order."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cloud.kiosk.pay.orders_store import OrderStore
from cloud.kiosk.pay.orders_tables import PayOrder
from tests.faults.databases import fresh_postgres
from tests.kiosk.pay_kit import pay_env

pytestmark = pytest.mark.postgres


def both_read_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next two reads of an order by its number wait for each other: both notifications
    have read the order as waiting before either writes — the race, every time."""
    barrier = asyncio.Barrier(2)
    plain = OrderStore.by_trade_no

    async def by_trade_no(self: OrderStore, out_trade_no: str) -> PayOrder | None:
        row = await plain(self, out_trade_no)
        if barrier.n_waiting < 2:
            async with asyncio.timeout(5):
                await barrier.wait()
        return row

    monkeypatch.setattr(OrderStore, "by_trade_no", by_trade_no)


async def test_notifications_and_orders_race_on_postgres(
    tmp_path: Path, amqtt_url: str, postgres_url: str, uid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_postgres(postgres_url, f"kfpay_{uid}") as url:
        async with pay_env(tmp_path, amqtt_url, monkeypatch, database_url=url) as env:
            twice = await asyncio.gather(*(env.order("gas", "req-gas-race1") for _ in range(2)))
            assert [r.status_code for r in twice] == [201, 201], twice[1].text
            assert twice[0].json()["id"] == twice[1].json()["id"]
            order = twice[0].json()
            body = await env.gateway.phone_pays(order["out_trade_no"])
            with monkeypatch.context() as patch:
                both_read_first(patch)
                answers = await asyncio.gather(env.notify(body), env.notify(body))
            assert [(r.status_code, r.text) for r in answers] == [(200, "success")] * 2
            assert sorted(await env.outcomes(order["out_trade_no"])) == ["applied", "repeat"]
            assert [p.out_trade_no for p in env.sim.paid] == [order["out_trade_no"]]
            assert (await env.poll(order["id"]))["state"] == "paid"
