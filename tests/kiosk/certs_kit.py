"""A cloud in-process with the certificates wired to the real simulators over loopback: the
人社, 不动产 and 公积金 departments, the 电子证照库, the identity platform and the SMS gateway;
a kiosk at HHL with an A4 and a receipt printer, and one at TGLS with neither."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from cloud.db import devices as device_repo
from cloud.db.models import Device
from cloud.kiosk.certs_parts import CertServices
from cloud.settings import Settings
from fleet.peripherals import PeripheralState
from simulators.dept_hpf import HpfDepartment
from simulators.dept_hrss import HrssDepartment
from simulators.dept_realestate import RealEstateDepartment
from simulators.idcard_reader import SAMPLE_CARDS
from simulators.identity_platform import IdentityPlatformSim
from simulators.license_library import LicenseLibrarySim
from simulators.sms_gateway import SmsGateway
from tests.access.kit import HHL, TGLS, AccessCloud, access_cloud, device_with_secret

CARD = SAMPLE_CARDS[0]  # 王晓明
VERIFY_URL = "https://verify.example.test"
SMS_KEY = "certs-sms-key"


@dataclass
class CertsEnv:
    cloud: AccessCloud
    sms: SmsGateway
    hrss: HrssDepartment
    realestate: RealEstateDepartment
    hpf: HpfDepartment
    library: LicenseLibrarySim
    kiosk: httpx.AsyncClient  # HHL: A4 + receipt printers
    bare: httpx.AsyncClient  # TGLS: no printer
    public: httpx.AsyncClient

    @property
    def certs(self) -> CertServices:
        certs = self.cloud.parts.kiosk.certs
        assert certs is not None
        return certs

    async def who(self, card: Any = CARD, kiosk: httpx.AsyncClient | None = None) -> dict[str, str]:
        """The body fields of a verified citizen at ``kiosk`` (the code from the SMS log)."""
        k = kiosk or self.kiosk
        sent = await k.post(
            "/api/v1/kiosk/identity/otp", json={"id_number": card.id_number, "name": card.name}
        )
        assert sent.status_code == 201, sent.text
        code = self.sms.sent[-1].params["code"]
        got = await k.post(
            "/api/v1/kiosk/identity/verify", json={"otp_id": sent.json()["otp_id"], "code": code}
        )
        assert got.status_code == 200, got.text
        token = got.json()["identity_token"]
        return {"identity_token": token, "id_number": card.id_number, "name": card.name}


async def _kiosk(
    cloud: AccessCloud, device_id: str, site: str, printers: bool
) -> httpx.AsyncClient:
    headers = await device_with_secret(cloud.parts, device_id, site)
    if printers:
        async with cloud.parts.sessions() as s:
            device = await s.get(Device, device_id)
            assert device is not None
            device_repo.set_peripherals(
                device,
                [
                    PeripheralState("a4", "a4_printer", capabilities=("a4_print",)),
                    PeripheralState("printer", "receipt_printer", capabilities=("receipt",)),
                ],
            )
            await s.commit()
    return await cloud.client(headers)


def _endpoint(sim: Any) -> dict[str, Any]:
    return {"url": sim.url, "app_id": sim.app_id, "secret": sim.secret, "timeout_s": 1.0}


@contextlib.asynccontextmanager
async def certs_env(tmp_path: Path, mqtt_url: str, **extra: Any) -> AsyncIterator[CertsEnv]:
    async with (
        IdentityPlatformSim() as identity,
        SmsGateway(api_key=SMS_KEY, per_number_interval_s=0) as sms,
        HrssDepartment() as hrss,
        RealEstateDepartment() as realestate,
        HpfDepartment() as hpf,
        LicenseLibrarySim(app_id="lib", secret="lib-secret") as library,
    ):
        fields: dict[str, Any] = {
            "data_dir": tmp_path,
            "mqtt_url": mqtt_url,
            "demo": True,
            "secret_key": SecretStr("certs-test-secret-0123456789abcdef"),
            "citizen_sms_url": sms.url,
            "citizen_sms_key": SecretStr(SMS_KEY),
            "kiosk_identity_url": identity.url,
            "kiosk_identity_token": SecretStr(identity.token),
            "kiosk_departments": {
                "hrss": _endpoint(hrss),
                "realestate": _endpoint(realestate),
                "hpf": _endpoint(hpf),
            },
            "license_library": _endpoint(library),
            "certificate_verify_url": VERIFY_URL,
        }
        settings = Settings(**{**fields, **extra})
        async with access_cloud(settings) as cloud:
            yield CertsEnv(
                cloud,
                sms,
                hrss,
                realestate,
                hpf,
                library,
                await _kiosk(cloud, "kiosk-hhl-1", HHL, printers=True),
                await _kiosk(cloud, "kiosk-tgls-1", TGLS, printers=False),
                await cloud.client({}),
            )
