"""A cloud for people tests: the API in-process on SQLite (no broker: these routes need none),
fast argon2 parameters, and helpers to log in and read the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.app import create_app, seed_sites
from cloud.db.identity import AuditEntry
from cloud.settings import Settings
from fleet.access import PersonRole
from tests.identity_kit import make_user

#: cheap argon2id so tests can log in often (production uses the defaults)
FAST: dict[str, Any] = {
    "password_time_cost": 1,
    "password_memory_kib": 1024,
    "password_parallelism": 1,
}
PASSWORD = "correct horse battery staple"  # identity_kit's default
TOWN = "qh/hx/golmud/hhl"
OTHER_TOWN = "qh/hx/golmud/tgls"


@dataclass
class Cloud:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    others: list[httpx.AsyncClient] = field(default_factory=list)

    def client(self) -> httpx.AsyncClient:
        """Another browser: its own cookie jar, same app (closed with the cloud)."""
        c = httpx.AsyncClient(transport=self.http._transport, base_url=str(self.http.base_url))
        self.others.append(c)
        return c


@asynccontextmanager
async def people_cloud(tmp_path: Path, **overrides: Any) -> AsyncIterator[Cloud]:
    settings = Settings(data_dir=tmp_path, demo=True, **{**FAST, **overrides})
    app = create_app(settings)
    await seed_sites(app)  # migrates the schema too
    parts = app.state.parts
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://kfleet.test") as http:
            cloud = Cloud(settings, parts.sessions, http)
            try:
                yield cloud
            finally:
                for c in cloud.others:
                    await c.aclose()
    finally:
        await parts.engine.dispose()


async def login(http: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return await http.post("/api/v1/auth/login", json={"username": username, "password": password})


async def signed_in(
    cloud: Cloud,
    http: httpx.AsyncClient,
    username: str,
    role: PersonRole = PersonRole.ADMINISTRATOR,
    scope: str = "qh",
) -> str:
    """Make the user, log ``http`` in as them; the CSRF token for unsafe requests."""
    await make_user(cloud.sessions, username, role, scope)
    r = await login(http, username)
    assert r.status_code == 200, r.text
    return str(r.json()["csrf"])


async def audit_rows(cloud: Cloud, action: str) -> list[AuditEntry]:
    async with cloud.sessions() as s:
        q = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list((await s.scalars(q)).all())
