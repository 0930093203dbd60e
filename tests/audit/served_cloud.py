"""The cloud served over real HTTP (uvicorn on a free port) for the browser test."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import uvicorn
from fastapi import Depends, FastAPI

from cloud.api.auth_deps import require
from cloud.app import create_app, seed_sites
from cloud.auth.principal import Principal
from cloud.settings import Settings
from cloud.wiring import Parts
from fleet.access import ROLE_PERMISSIONS, Permission

ME = "/api/v1/auth/me"


def _ensure_me(app: FastAPI) -> None:
    """Until ``GET /api/v1/auth/me`` (the enforce helper's) is on main, a stand-in with the
    same shape, so shell.js's kf.start() works; the real route, once there, wins."""
    if any(getattr(r, "path", None) == ME for r in app.routes):
        return

    async def me(
        caller: Annotated[Principal, Depends(require(Permission.SITES_READ))],
    ) -> dict[str, Any]:
        assert caller.role is not None
        return {
            "username": caller.name,
            "role": caller.role.value,
            "scope": caller.scope,
            "permissions": sorted(p.value for p in ROLE_PERMISSIONS[caller.role]),
        }

    app.add_api_route(ME, me, methods=["GET"])


@dataclass(frozen=True)
class Served:
    base_url: str
    parts: Parts


@contextlib.asynccontextmanager
async def served_cloud(settings: Settings) -> AsyncIterator[Served]:
    app = create_app(settings)
    _ensure_me(app)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(30):
            while not server.started:  # uvicorn exposes no start event
                if task.done():
                    await task
                await asyncio.sleep(0.05)
        await seed_sites(app)
        yield Served(f"http://127.0.0.1:{port}", app.state.parts)
    finally:
        server.should_exit = True
        await task
        sock.close()
