"""The cloud served over real HTTP (uvicorn on a free port) for the browser test."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import uvicorn

from cloud.app import create_app, seed_sites
from cloud.settings import Settings
from cloud.wiring import Parts


@dataclass(frozen=True)
class Served:
    base_url: str
    parts: Parts


@contextlib.asynccontextmanager
async def served_cloud(settings: Settings) -> AsyncIterator[Served]:
    app = create_app(settings)
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
