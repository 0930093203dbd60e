"""A cloud in-process pointed at the city 政务服务平台 simulator, with a pilot kiosk (receipt
printer) and another without a printer, for the case-progress API tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from cloud.db.models import Job
from cloud.settings import Settings
from simulators.city_platform import CityPlatformSim
from tests.access.kit import HHL, AccessCloud, access_cloud
from tests.hall.kiosk_kit import kiosk_device
from tests.kiosk.city_kit import APP_ID, SECRET

LOOKUP = "/api/v1/kiosk/cases/lookup"


@dataclass
class CasesEnv:
    cloud: AccessCloud
    sim: CityPlatformSim
    kiosk: httpx.AsyncClient

    async def lookup(self, **body: Any) -> httpx.Response:
        return await self.kiosk.post(LOOKUP, json=body)

    async def job(self, job_id: str) -> Job:
        async with self.cloud.parts.sessions() as s:
            job = await s.get(Job, job_id)
        assert job is not None
        return job


def case_settings(tmp_path: Path, amqtt_url: str, url: str, timeout_s: float) -> Settings:
    return Settings(
        data_dir=tmp_path,
        mqtt_url=amqtt_url,
        demo=True,
        dispatch_interval_s=0.1,
        city_platform_url=url,
        city_platform_app_id=APP_ID,
        city_platform_secret=SecretStr(SECRET),
        city_platform_timeout_s=timeout_s,
    )


@asynccontextmanager
async def cases_env(
    tmp_path: Path, amqtt_url: str, timeout_s: float = 1.0
) -> AsyncIterator[CasesEnv]:
    async with CityPlatformSim(apps={APP_ID: SECRET}) as sim:
        settings = case_settings(tmp_path, amqtt_url, sim.url, timeout_s)
        async with access_cloud(settings) as cloud:
            kiosk = await kiosk_device(cloud, "kiosk-hhl-1", HHL, printer=True)
            yield CasesEnv(cloud, sim, kiosk)


__all__ = ["HHL", "LOOKUP", "CasesEnv", "case_settings", "cases_env"]
