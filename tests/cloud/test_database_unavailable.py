"""A database that is busy or unreachable answers 503 with Retry-After in the one error shape
(a condition of the moment a client should retry), not a 500 that reads like a bug.

Both conditions are real here: a pool of one connection that is held, with a short checkout
timeout, and an SQLite path that cannot be opened."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from cloud.api.errors import DATABASE_RETRY_AFTER_S, install_error_handlers


def app_on(engine: AsyncEngine) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/count")
    async def count() -> dict[str, int]:
        async with engine.connect() as conn:
            return {"n": int((await conn.execute(text("select 1"))).scalar_one())}

    return app


async def get(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cloud") as http:
        return await http.get("/count")


async def test_every_connection_in_use_is_a_503_database_busy(tmp_path: Path) -> None:
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        pool_size=1,
        max_overflow=0,
        pool_timeout=0.2,
    )
    app = app_on(engine)
    try:
        assert (await get(app)).json() == {"n": 1}  # the pool works while free
        async with engine.connect():  # the only connection, held
            r = await get(app)
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == str(DATABASE_RETRY_AFTER_S)
        body = r.json()
        assert body["code"] == "database_busy"
        assert "all in use" in body["message"] and "retry" in body["message"]
        assert (await get(app)).status_code == 200  # and back once it is free
    finally:
        await engine.dispose()


def sqlite_threads() -> set[threading.Thread]:
    """aiosqlite's worker threads (one per connection) alive now."""
    return {t for t in threading.enumerate() if "_connection_worker_thread" in t.name}


async def test_a_database_that_cannot_be_opened_is_a_503_naming_why(tmp_path: Path) -> None:
    before = sqlite_threads()
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}")  # a directory
    try:
        r = await get(app_on(engine))
    finally:
        await engine.dispose()
        # aiosqlite's failed connect queues its thread's stop with an answer it never awaits,
        # posted to this loop: wait for the thread while the loop is open, or on a slow
        # machine it dies on "Event loop is closed", failing whichever test runs next
        for thread in sqlite_threads() - before:
            await asyncio.to_thread(thread.join, 10)
    assert r.status_code == 503, r.text
    body = r.json()
    assert body["code"] == "database_unavailable"
    assert "unable to open database file" in body["message"], body
    assert "check the database server" in body["message"]


async def test_any_other_failure_stays_a_500() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/count")
    async def count() -> None:
        raise RuntimeError("a bug")

    r = await get(app)
    assert r.status_code == 500 and r.json()["code"] == "internal_error"
