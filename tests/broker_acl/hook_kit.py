"""The cloud app without its bus (the hooks need only the database), HTTP on it, and device
identities made straight in the database, for the broker hook tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from cloud.app import create_app, seed_sites
from cloud.auth import secrets
from cloud.db.identity import DeviceCredential
from cloud.db.models import Device, Site, utcnow
from cloud.settings import Settings
from cloud.wiring import Parts

HOOK_SECRET = "hook-secret-for-tests-0123456789"
CLOUD_USER = "kf-cloud-hooks"
CLOUD_PASSWORD = "cloud-hooks-pass"


@dataclass(frozen=True)
class HookCloud:
    app: FastAPI
    parts: Parts
    client: httpx.AsyncClient


def hook_settings(data_dir: Path, secret: str = HOOK_SECRET, database_url: str = "") -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        mqtt_url=f"mqtt://{CLOUD_USER}:{CLOUD_PASSWORD}@127.0.0.1:1",
        mqtt_shared_group="kf",
        secret_key="broker-hook-tests-secret-0123456789abcdef",
        broker_acl="http",
        broker_hook_secret=secret,
    )


@asynccontextmanager
async def hook_cloud(settings: Settings) -> AsyncIterator[HookCloud]:
    """The app, migrated and seeded with the pilot sites; no lifespan (no broker needed)."""
    app = create_app(settings)
    parts: Parts = app.state.parts
    await seed_sites(app)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kfleet") as client:
            yield HookCloud(app, parts, client)
    finally:
        await parts.engine.dispose()


async def make_device(parts: Parts, device_id: str, site_path: str, secret: str) -> None:
    """An enrolled device: its row under ``site_path`` and a live MQTT credential."""
    async with parts.sessions() as s:
        site = (await s.scalars(select(Site).where(Site.path == site_path))).one()
        s.add(Device(id=device_id, site_id=site.id, role="kiosk"))
        await s.flush()
        s.add(DeviceCredential(device_id=device_id, secret_hash=secrets.digest(secret)))
        await s.commit()


async def revoke_in_db(parts: Parts, device_id: str) -> None:
    """What a revoke writes: the device and its credentials marked revoked."""
    now = utcnow()
    async with parts.sessions() as s:
        await s.execute(update(Device).where(Device.id == device_id).values(revoked_at=now))
        await s.execute(
            update(DeviceCredential)
            .where(DeviceCredential.device_id == device_id)
            .values(revoked_at=now)
        )
        await s.commit()


def hook_headers(secret: str = HOOK_SECRET) -> dict[str, str]:
    return {"X-Kfleet-Hook-Secret": secret}
