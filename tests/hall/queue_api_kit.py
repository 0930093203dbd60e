"""A running cloud (embedded broker) with one hall configured through the API: queues ``a``
(A) and ``b`` (B), services ``s-a``/``s-b``, windows 1 and 2 (call button box ``btn-hhl``)
and staff 1001 — for the queue's API, live and button tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from cloud.db import sites as site_repo
from cloud.db.hall import HallStaff
from cloud.settings import Settings
from fleet.access import PersonRole
from tests.access.kit import HHL, TGLS, AccessCloud, access_cloud

__all__ = ["HHL", "TGLS", "Hall", "add_staff", "configure", "hall_cloud", "new_site"]


@dataclass
class Hall:
    cloud: AccessCloud
    admin: httpx.AsyncClient


async def configure(c: httpx.AsyncClient, site: str, device: str = "btn-hhl") -> None:
    for code, prefix in (("a", "A"), ("b", "B")):
        r = await c.post(
            f"/api/v1/hall/queues?site={site}",
            json={"code": code, "name_zh": f"{code}类业务", "prefix": prefix},
        )
        assert r.status_code == 201, r.text
        r = await c.post(
            f"/api/v1/hall/services?site={site}",
            json={"code": f"s-{code}", "name_zh": "事项", "queue": code},
        )
        assert r.status_code == 201, r.text
    for n, first in (("1", 1), ("2", 5)):
        r = await c.post(
            f"/api/v1/hall/windows?site={site}",
            json={
                "number": n,
                "queue_codes": ["a", "b"],
                "call_device": device,
                "call_button": first,
            },
        )
        assert r.status_code == 201, r.text


async def new_site(c: httpx.AsyncClient, parent: str = HHL) -> str:
    """A fresh village under ``parent`` (no hall seeded there, a topic no other test uses)."""
    code = f"v{uuid.uuid4().hex[:8]}"
    r = await c.post(
        "/api/v1/sites", json={"parent": parent, "code": code, "name": "测试村", "level": "village"}
    )
    assert r.status_code == 201, r.text
    return f"{parent}/{code}"


async def add_staff(cloud: AccessCloud, site: str, staff_no: str = "1001") -> None:
    async with cloud.parts.sessions() as s:
        row = await site_repo.require(s, site)
        s.add(HallStaff(site_id=row.id, staff_no=staff_no, name="王芳"))
        await s.commit()


def settings(tmp_path: Path, mqtt_url: str) -> Settings:
    return Settings(data_dir=tmp_path, mqtt_url=mqtt_url, demo=True, dispatch_interval_s=0.1)


@asynccontextmanager
async def hall_cloud(tmp_path: Path, mqtt_url: str, setup: bool = True) -> AsyncIterator[Hall]:
    async with access_cloud(settings(tmp_path, mqtt_url)) as cloud:
        admin = await cloud.as_role(PersonRole.ADMINISTRATOR)
        if setup:
            await configure(admin, HHL)
            await add_staff(cloud, HHL)
        yield Hall(cloud, admin)
