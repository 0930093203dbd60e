"""A real cloud over HTTP for the enrollment page in Chromium: uvicorn on a free port, SQLite,
no broker (broker_acl=none: minting, enrolling and revoking need only the database)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import uvicorn
from fastapi import Depends, FastAPI

from cloud.api.auth_deps import require
from cloud.app import create_app, seed_sites
from cloud.auth.principal import Principal
from cloud.settings import Settings
from cloud.wiring import Parts
from fleet.access import ROLE_PERMISSIONS, Permission
from kfleet.world.net import free_port


@dataclass(frozen=True)
class Served:
    base_url: str
    parts: Parts


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # pytest keeps its own signal handlers


def _ensure_me(app: FastAPI) -> None:
    """TEMPORARY stand-in for the enforce helper's GET /api/v1/auth/me (cloud/api/me.py),
    added only when the app has none; shell.js needs it on every page but login."""
    if any(getattr(r, "path", "") == "/api/v1/auth/me" for r in app.routes):
        return

    @app.get("/api/v1/auth/me")
    async def me(
        caller: Annotated[Principal, Depends(require(Permission.SITES_READ))],
    ) -> dict[str, Any]:
        assert caller.role is not None
        return {
            "username": caller.name,
            "display_name": caller.name,
            "role": caller.role.value,
            "scope": caller.scope,
            "permissions": sorted(p.value for p in ROLE_PERMISSIONS[caller.role]),
            "kind": caller.kind.value,
        }


@contextlib.asynccontextmanager
async def served_cloud(tmp_path: Path) -> AsyncIterator[Served]:
    settings = Settings(data_dir=tmp_path, demo=True, public_url="https://kf.example")
    app = create_app(settings)
    _ensure_me(app)
    await seed_sites(app)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):
            while not server.started:
                if task.done():
                    await task
                    raise RuntimeError("uvicorn did not start")
                await asyncio.sleep(0.02)  # uvicorn exposes no start event
        yield Served(f"http://127.0.0.1:{port}", app.state.parts)
    finally:
        server.should_exit = True
        await task
        await app.state.parts.engine.dispose()
