"""A cloud in-process with the e-forms seeded, a kiosk with an A4 printer and one without, for
the e-form API tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cloud.db.models import Job
from cloud.settings import Settings
from tests.access.kit import HHL, AccessCloud, access_cloud
from tests.kiosk.guide_kit import kiosk_with

PHONE_URL = "http://phone.example"
#: a real-shaped person (the check digit is right)
ID_NUMBER = "632801198805120137"
PERSON = {"name": "王小明", "sex": "男", "birth": "1988-05-12", "id_number": ID_NUMBER}


@dataclass
class FormsEnv:
    cloud: AccessCloud
    kiosk: httpx.AsyncClient
    bare: httpx.AsyncClient
    public: httpx.AsyncClient

    async def job(self, job_id: str) -> Job:
        async with self.cloud.parts.sessions() as s:
            job = await s.get(Job, job_id)
        assert job is not None
        return job

    async def handoff(self, code: str = "personal-info") -> dict[str, Any]:
        r = await self.kiosk.post(f"/api/v1/kiosk/forms/{code}/handoffs")
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        return out


def token_of(url: str) -> str:
    assert url.startswith(PHONE_URL + "/f/"), url
    return url.rsplit("/", 1)[1]


@asynccontextmanager
async def forms_env(tmp_path: Path, broker_url: str, **settings: Any) -> AsyncIterator[FormsEnv]:
    s = Settings(
        data_dir=tmp_path, mqtt_url=broker_url, demo=True, forms_phone_url=PHONE_URL, **settings
    )
    async with access_cloud(s) as cloud:
        forms = cloud.parts.kiosk.forms
        assert forms is not None
        await forms.seeded.wait()
        kiosk = await kiosk_with(cloud, "kiosk-hhl-1", HHL, "a4_printer")
        bare = await kiosk_with(cloud, "kiosk-hhl-2", HHL, "receipt_printer")
        yield FormsEnv(cloud, kiosk, bare, await cloud.client())
