"""A cloud in-process with the sample catalogue "published" through a stand-in for the
catalogue service's ``current()`` (each test decides what is published, or nothing), a kiosk
with an A4 printer at HHL and one without. ``test_guide_published`` runs the real service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import SecretStr

from cloud.db import devices as device_repo
from cloud.db.models import Device
from cloud.kiosk.guide_sample import sample_catalogue
from cloud.settings import Settings
from fleet.peripherals import PeripheralState
from protocols.guide import Catalogue
from tests.access.kit import HHL, AccessCloud, access_cloud, device_with_secret

PHONE_URL = "https://hall.example.cn"


class StandInCatalogue:
    """What the guide needs of ``CatalogueService``: the published catalogue or None."""

    def __init__(self, catalogue: Catalogue | None) -> None:
        self.published = catalogue

    async def current(self) -> Catalogue | None:
        return self.published


@dataclass
class GuideEnv:
    cloud: AccessCloud
    catalogue: StandInCatalogue
    #: the HHL kiosk with an A4 printer
    kiosk: httpx.AsyncClient
    #: the TGLS kiosk with a receipt printer only
    receipt_only: httpx.AsyncClient
    public: httpx.AsyncClient


async def kiosk_with(cloud: AccessCloud, device_id: str, site: str, kind: str) -> httpx.AsyncClient:
    headers = await device_with_secret(cloud.parts, device_id, site)
    capability = {"a4_printer": "a4_print", "receipt_printer": "receipt"}[kind]
    async with cloud.parts.sessions() as s:
        device = await s.get(Device, device_id)
        assert device is not None
        device_repo.set_peripherals(
            device, [PeripheralState("printer", kind, capabilities=(capability,))]
        )
        await s.commit()
    return await cloud.client(headers)


@asynccontextmanager
async def guide_env(tmp_path: Path, mqtt_url: str) -> AsyncIterator[GuideEnv]:
    settings = Settings(
        data_dir=tmp_path,
        mqtt_url=mqtt_url,
        demo=True,
        secret_key=SecretStr("guide-test-secret-0123456789abcdef"),
        hall_phone_url=PHONE_URL,
    )
    async with access_cloud(settings) as cloud:
        stand_in = StandInCatalogue(sample_catalogue())
        # the tests decide what is published (None: nothing yet)
        setattr(cloud.parts.kiosk, "catalogue", stand_in)  # noqa: B010
        kiosk = await kiosk_with(cloud, "kiosk-hhl-1", HHL, "a4_printer")
        other = await kiosk_with(cloud, "kiosk-tgls-1", "qh/hx/golmud/tgls", "receipt_printer")
        yield GuideEnv(cloud, stand_in, kiosk, other, await cloud.client())
