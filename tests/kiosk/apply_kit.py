"""A cloud in-process pointed at the city 政务服务平台 simulator (its application API), with the
sample catalogue published (a stand-in) and a pilot kiosk with a receipt printer, for the
self-service application (自助申报) API tests."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cloud.db.models import Job
from cloud.kiosk.guide_sample import sample_catalogue
from simulators.city_platform import CityPlatformSim
from tests.access.kit import HHL, AccessCloud, access_cloud
from tests.kiosk.cases_kit import case_settings
from tests.kiosk.city_kit import APP_ID, SECRET, WANG
from tests.kiosk.guide_kit import StandInCatalogue, kiosk_with

PAGES = "/api/v1/kiosk/apply/materials"
FORM = "/api/v1/kiosk/apply/form"
SUBMIT = "/api/v1/kiosk/apply/applications"
ITEM = "SI-PENSION-CLAIM"
#: a valid 19-digit card number (Luhn)
BANK_CARD = "6222020200112233446"


def jpeg_page(tag: str) -> bytes:
    """Bytes that start like a JPEG (the cloud checks the magic, not the picture)."""
    return b"\xff\xd8\xff\xe0" + tag.encode() + os.urandom(64)


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass
class ApplyEnv:
    cloud: AccessCloud
    sim: CityPlatformSim
    kiosk: httpx.AsyncClient

    async def upload(self, content: bytes, client: httpx.AsyncClient | None = None) -> str:
        r = await (client or self.kiosk).put(
            f"{PAGES}/{sha(content)}", content=content, headers={"Content-Type": "image/jpeg"}
        )
        assert r.status_code in (200, 201), r.text
        return sha(content)

    async def job(self, job_id: str) -> Job:
        async with self.cloud.parts.sessions() as s:
            job = await s.get(Job, job_id)
        assert job is not None
        return job


def application(pages: dict[str, list[str]], **extra: Any) -> dict[str, Any]:
    """WANG's pension claim, in person, with ``pages`` (material code → sha256s)."""
    body: dict[str, Any] = {
        "request_id": "apply-0001",
        "item": ITEM,
        "answers": {"who": "self"},
        "id_number": WANG[0],
        "name": WANG[1],
        "form_code": "pension-claim",
        "form_version": 1,
        "form_data": {
            "name": WANG[1],
            "id_number": WANG[0],
            "phone": "13800001234",
            "bank": "青海银行",
            "bank_card": BANK_CARD,
        },
        "materials": [{"code": c, "pages": p} for c, p in pages.items()],
    }
    return {**body, **extra}


@asynccontextmanager
async def apply_env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[ApplyEnv]:
    async with CityPlatformSim(apps={APP_ID: SECRET}) as sim:
        settings = case_settings(tmp_path, amqtt_url, sim.url, 2.0)
        async with access_cloud(settings) as cloud:
            setattr(cloud.parts.kiosk, "catalogue", StandInCatalogue(sample_catalogue()))  # noqa: B010
            kiosk = await kiosk_with(cloud, "kiosk-hhl-1", HHL, "receipt_printer")
            yield ApplyEnv(cloud, sim, kiosk)
