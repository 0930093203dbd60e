"""A real cloud over HTTP for console pages in Chromium that need only the database (login,
users, tokens, enrollment): uvicorn on a free port, SQLite, fast argon2, no broker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from playwright.async_api import ConsoleMessage, Error, Page
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.app import create_app, seed_sites
from cloud.settings import Settings
from cloud.wiring import Parts
from kfleet.world.net import free_port
from tests.people.kit import FAST


@dataclass(frozen=True)
class Served:
    base_url: str
    parts: Parts

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.parts.sessions


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # pytest keeps its own signal handlers


@contextlib.asynccontextmanager
async def served_cloud(tmp_path: Path, **overrides: Any) -> AsyncIterator[Served]:
    settings = Settings(data_dir=tmp_path, demo=True, **{**FAST, **overrides})
    app = create_app(settings)
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


def page_errors(page: Page) -> list[str]:
    """Script errors of ``page``; the 401/423 answers a login page expects are not errors."""
    errors: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        expected = "Failed to load resource" in msg.text and (
            "status of 401" in msg.text or "status of 423" in msg.text
        )
        if msg.type == "error" and not expected:
            errors.append(f"console: {msg.text}")

    def on_error(err: Error) -> None:
        errors.append(f"page error: {err}")

    page.on("console", on_console)
    page.on("pageerror", on_error)
    return errors
