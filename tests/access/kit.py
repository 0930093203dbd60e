"""A cloud in-process for access-control tests, with one HTTP client per caller.

Unlike ``tests.cloudkit.running_cloud`` (whose client is an administrator), each client here
carries exactly the credentials a test gives it — or none.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from cloud.app import create_app, seed_sites
from cloud.auth import secrets
from cloud.db import sites as site_repo
from cloud.db.identity import AuditEntry, DeviceCredential
from cloud.db.models import Device, utcnow
from cloud.settings import Settings
from cloud.wiring import Parts
from fleet.access import PersonRole
from tests.identity_kit import ROOT_SCOPE, bearer, make_api_token

HHL = "qh/hx/golmud/hhl"  # one town (街道) of the pilot tree
TGLS = "qh/hx/golmud/tgls"  # another town


@dataclass
class AccessCloud:
    app: FastAPI
    parts: Parts
    stack: AsyncExitStack
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    async def client(self, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        """A client sending ``headers`` (no credentials unless they hold some)."""
        transport = httpx.ASGITransport(app=self.app)
        c = httpx.AsyncClient(transport=transport, base_url="http://kfleet", headers=headers)
        return await self.stack.enter_async_context(c)

    async def as_role(
        self, role: PersonRole, scope: str = ROOT_SCOPE, name: str | None = None
    ) -> httpx.AsyncClient:
        """A client with a fresh API token of ``role`` over ``scope``."""
        token = await make_api_token(self.parts.sessions, role, scope, name)
        return await self.client(bearer(token))

    async def audit_rows(self, action: str, actor: str | None = None) -> list[AuditEntry]:
        async with self.parts.sessions() as s:
            stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            if actor is not None:
                stmt = stmt.where(AuditEntry.actor == actor)
            return list((await s.scalars(stmt)).all())


@asynccontextmanager
async def access_cloud(settings: Settings) -> AsyncIterator[AccessCloud]:
    """The app with its lifespan running (pilot sites seeded); clients close with it."""
    app = create_app(settings)
    await seed_sites(app)
    async with app.router.lifespan_context(app), AsyncExitStack() as stack:
        cloud = AccessCloud(app, app.state.parts, stack)
        async with asyncio.timeout(30):  # as enroll_kit: 10 s ran out at load 17
            await cloud.parts.bus.ready.wait()
        yield cloud


async def device_with_secret(parts: Parts, device_id: str, site: str = HHL) -> dict[str, str]:
    """A registered device with a live credential; its ``Authorization: Basic`` header."""
    secret = secrets.new_secret()
    async with parts.sessions() as s:
        site_row = await site_repo.require(s, site)
        s.add(Device(id=device_id, site_id=site_row.id, role="kiosk", name=device_id))
        await s.flush()
        s.add(
            DeviceCredential(
                device_id=device_id,
                secret_hash=secrets.digest(secret),
                created_at=utcnow() - timedelta(seconds=1),
            )
        )
        await s.commit()
    pair = base64.b64encode(f"{device_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}
