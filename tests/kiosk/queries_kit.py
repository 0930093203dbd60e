"""A cloud in-process with the convenience queries wired to simulators: the identity platform
and the citizens' SMS gateway (real HTTP on loopback), the stand-in department module, and two
kiosks (HHL with a receipt printer, and another at TGLS)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from cloud.kiosk import departments
from cloud.kiosk.otp import OtpService
from cloud.kiosk.queries_service import QueryService
from cloud.settings import Settings
from simulators.idcard_reader import SAMPLE_CARDS
from simulators.identity_platform import SAMPLE_PHONES, IdentityPlatformSim
from simulators.sms_gateway import SmsGateway
from tests.access.kit import HHL, TGLS, AccessCloud, access_cloud
from tests.hall.kiosk_kit import kiosk_device
from tests.kiosk import queries_stand_in

CARD = SAMPLE_CARDS[0]  # 王晓明, the ID-card simulator's default card
PHONE = SAMPLE_PHONES[0]
OTHER = SAMPLE_CARDS[1]
SMS_KEY = "test-sms-key"


@dataclass
class QueriesEnv:
    cloud: AccessCloud
    identity: IdentityPlatformSim
    sms: SmsGateway
    kiosk: httpx.AsyncClient  # kiosk-hhl-1 at HHL (receipt printer)
    other_kiosk: httpx.AsyncClient  # kiosk-hhl-2 at HHL
    far_kiosk: httpx.AsyncClient  # kiosk-tgls-1 at TGLS

    @property
    def otp(self) -> OtpService:
        otp = self.cloud.parts.kiosk.otp
        assert otp is not None
        return otp

    @property
    def queries(self) -> QueryService:
        queries = self.cloud.parts.kiosk.queries
        assert queries is not None
        return queries

    def set_clock(self, clock: Callable[[], datetime]) -> None:
        self.otp.clock = clock
        self.queries.clock = clock

    @property
    def otp_person(self) -> tuple[str, str]:
        return CARD.id_number, CARD.name

    def last_code(self) -> str:
        return self.sms.sent[-1].params["code"]

    async def send(self, kiosk: httpx.AsyncClient | None = None, card: Any = CARD) -> Any:
        body = {"id_number": card.id_number, "name": card.name}
        return await (kiosk or self.kiosk).post("/api/v1/kiosk/identity/otp", json=body)

    async def verify(self, otp_id: str, code: str, kiosk: httpx.AsyncClient | None = None) -> Any:
        body = {"otp_id": otp_id, "code": code}
        return await (kiosk or self.kiosk).post("/api/v1/kiosk/identity/verify", json=body)

    async def token(self, kiosk: httpx.AsyncClient | None = None, card: Any = CARD) -> str:
        """A fresh identity token for ``card`` at ``kiosk`` (code from the SMS simulator)."""
        sent = await self.send(kiosk, card)
        assert sent.status_code == 201, sent.text
        got = await self.verify(sent.json()["otp_id"], self.last_code(), kiosk)
        assert got.status_code == 200, got.text
        return str(got.json()["identity_token"])

    async def ask(
        self, code: str, kiosk: httpx.AsyncClient | None = None, suffix: str = "", **body: Any
    ) -> Any:
        return await (kiosk or self.kiosk).post(f"/api/v1/kiosk/queries/{code}{suffix}", json=body)


def person(card: Any = CARD) -> dict[str, str]:
    return {"id_number": card.id_number, "name": card.name}


@asynccontextmanager
async def queries_env(
    tmp_path: Path, amqtt_url: str, monkeypatch: pytest.MonkeyPatch, **extra: Any
) -> AsyncIterator[QueriesEnv]:
    queries_stand_in.reset()
    monkeypatch.setattr(departments, "MODULES", [*departments.MODULES, queries_stand_in])
    async with IdentityPlatformSim() as identity, SmsGateway(api_key=SMS_KEY) as sms:
        fields: dict[str, Any] = {
            "data_dir": tmp_path,
            "mqtt_url": amqtt_url,
            "demo": True,
            "citizen_sms_url": sms.url,
            "citizen_sms_key": SecretStr(SMS_KEY),
            "kiosk_identity_url": identity.url,
            "kiosk_identity_token": SecretStr(identity.token),
            "kiosk_identity_timeout_s": 1.0,
            "kiosk_departments": {"civil": {"url": "http://stand-in.invalid", "timeout_s": 0.3}},
        }
        settings = Settings(**{**fields, **extra})
        async with access_cloud(settings) as cloud:
            yield QueriesEnv(
                cloud,
                identity,
                sms,
                await kiosk_device(cloud, "kiosk-hhl-1", HHL, printer=True),
                await kiosk_device(cloud, "kiosk-hhl-2", HHL, printer=False),
                await kiosk_device(cloud, "kiosk-tgls-1", TGLS, printer=False),
            )


__all__ = ["CARD", "HHL", "OTHER", "PHONE", "TGLS", "QueriesEnv", "person", "queries_env"]
