"""A cloud in-process with the utilities' bill simulator and the double payment channel, a
pilot kiosk with a receipt printer, and an operator, for the payment tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from cloud.db.models import Job, utcnow
from cloud.kiosk.pay.channels import CHANNEL_BUILDERS
from cloud.kiosk.pay.orders import OrderService
from cloud.kiosk.pay.orders_admin import OrderAdmin
from cloud.kiosk.pay.orders_tables import PayNotification, PayOrder
from cloud.settings import Settings
from fleet.access import PersonRole
from simulators.utility_bills import UtilityBillsSim
from tests.access.kit import HHL, AccessCloud, access_cloud
from tests.hall.kiosk_kit import kiosk_device
from tests.kiosk.pay_double import DoubleChannel, DoubleGateway

#: a seeded account of each utility (simulators/utility_bills.py)
ACCOUNTS = {
    "water": "3100012345",
    "power": "0801234567",
    "gas": "G20261188",
    "landline": "09798412345",
}


@dataclass
class PayEnv:
    cloud: AccessCloud
    sim: UtilityBillsSim
    gateway: DoubleGateway
    kiosk: httpx.AsyncClient
    operator: httpx.AsyncClient
    anon: httpx.AsyncClient

    @property
    def orders(self) -> OrderService:
        built = self.cloud.parts.kiosk.payments
        assert built is not None
        return built.orders

    @property
    def admin(self) -> OrderAdmin:
        built = self.cloud.parts.kiosk.payments
        assert built is not None
        return built.admin

    async def bill(self, utility: str, account: str | None = None) -> httpx.Response:
        body = {"account": account or ACCOUNTS[utility]}
        return await self.kiosk.post(f"/api/v1/kiosk/pay/bills/{utility}", json=body)

    async def order(self, utility: str, request_id: str, **over: Any) -> httpx.Response:
        bill = (await self.bill(utility)).json()
        body = {
            "request_id": request_id,
            "utility": utility,
            "account": ACCOUNTS[utility],
            "bill_no": bill["bill_no"],
            "amount_fen": bill["amount_fen"],
            "channel": "double",
        }
        return await self.kiosk.post("/api/v1/kiosk/pay/orders", json={**body, **over})

    async def notify(self, body: bytes) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        return await self.anon.post("/api/v1/pay/notify/double", content=body, headers=headers)

    async def poll(self, order_id: str) -> dict[str, Any]:
        r = await self.kiosk.get(f"/api/v1/kiosk/pay/orders/{order_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def row(self, order_id: str) -> PayOrder:
        return await self.orders.require(order_id)

    async def outcomes(self, out_trade_no: str) -> list[str]:
        return [n.outcome for n in await self.admin.notifications(out_trade_no)]

    async def job(self, job_id: str) -> Job:
        async with self.cloud.parts.sessions() as s:
            job = await s.get(Job, job_id)
        assert job is not None
        return job

    def later(self, seconds: float) -> None:
        """The orders' clock moves on by ``seconds``."""
        moved: datetime = utcnow() + timedelta(seconds=seconds)
        self.orders.clock = lambda: moved


async def all_notifications(env: PayEnv) -> list[PayNotification]:
    from sqlalchemy import select

    async with env.cloud.parts.sessions() as s:
        return list(await s.scalars(select(PayNotification).order_by(PayNotification.id)))


@asynccontextmanager
async def pay_env(
    tmp_path: Path, amqtt_url: str, monkeypatch: pytest.MonkeyPatch, database_url: str = ""
) -> AsyncIterator[PayEnv]:
    gateway = DoubleGateway()
    monkeypatch.setitem(CHANNEL_BUILDERS, "double", lambda _s: DoubleChannel(gateway))  # type: ignore[arg-type]
    async with UtilityBillsSim() as sim:
        settings = Settings(
            data_dir=tmp_path,
            mqtt_url=amqtt_url,
            demo=True,
            dispatch_interval_s=0.1,
            pay_utilities_url=sim.url,
            pay_utilities_app_id=sim.app_id,
            pay_utilities_secret=SecretStr(sim.secret),
            pay_utilities_timeout_s=10.0,  # answered in ms; a loaded loop may stall 1 s
            pay_sweep_interval_s=600,
            pay_order_timeout_s=300,
            database_url=database_url,
        )
        async with access_cloud(settings) as cloud:
            kiosk = await kiosk_device(cloud, "kiosk-hhl-1", HHL, printer=True)
            operator = await cloud.as_role(PersonRole.OPERATOR)
            anon = await cloud.client()
            yield PayEnv(cloud, sim, gateway, kiosk, operator, anon)
