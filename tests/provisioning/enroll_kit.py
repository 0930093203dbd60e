"""A real cloud on a real port for the provisioning CLI (a subprocess), and running the CLI.

The cloud runs in the test's event loop (uvicorn), so the test can also reach its parts
(database sessions for API tokens); the CLI runs as ``python -m kfleet provision ...``, as a
technician runs it, and is awaited without blocking that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from cloud.app import create_app, seed_sites
from cloud.settings import Settings
from cloud.wiring import Parts
from kfleet.world.net import free_port
from tests.identity_kit import bearer, make_api_token

REPO = Path(__file__).resolve().parents[2]
CLI_TIMEOUT_S = 90.0


@dataclass
class LiveCloud:
    base_url: str
    parts: Parts
    api_token: str

    async def mint(self, **body: Any) -> dict[str, Any]:
        """``POST /api/v1/enrollment-tokens`` as an administrator; the minted token's body."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as client:
            r = await client.post(
                "/api/v1/enrollment-tokens", json=body, headers=bearer(self.api_token)
            )
        assert r.status_code in (200, 201), r.text
        minted: dict[str, Any] = r.json()
        return minted


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """pytest owns the signals."""
        yield


@asynccontextmanager
async def live_cloud(
    tmp: Path, broker_url: str, *, tls: Path | None = None, **settings: Any
) -> AsyncIterator[LiveCloud]:
    """The cloud on 127.0.0.1:<free port> with the pilot sites, its own SQLite database;
    HTTPS with ``tls/server.crt`` and ``tls/server.key`` if ``tls`` is given."""
    port = free_port()
    config = Settings.model_validate(
        {
            "demo": True,
            "data_dir": tmp / "cloud",
            "mqtt_url": broker_url,
            "mqtt_client_id": f"enroll-test-{port}",
            "host": "127.0.0.1",
            "port": port,
            **settings,
        }
    )
    app = create_app(config)
    keys: dict[str, Any] = (
        {"ssl_certfile": str(tls / "server.crt"), "ssl_keyfile": str(tls / "server.key")}
        if tls
        else {}
    )
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **keys))
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(60):
            while not server.started:
                if task.done():
                    await task
                    raise AssertionError("the cloud did not start")
                await asyncio.sleep(0.05)  # uvicorn exposes no start event
        await seed_sites(app)
        parts: Parts = app.state.parts
        async with asyncio.timeout(30):
            await parts.bus.ready.wait()  # subscribed: births and acks are not missed
        token = await make_api_token(parts.sessions)
        yield LiveCloud(f"{'https' if tls else 'http'}://127.0.0.1:{port}", parts, token)
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await task


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


async def kfleet(*args: str | Path, env: dict[str, str] | None = None) -> Ran:
    """``python -m kfleet <args>`` in a subprocess; its exit code and output."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kfleet",
        *map(str, args),
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(CLI_TIMEOUT_S):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    return Ran(proc.returncode, out.decode(), err.decode())


async def enroll(
    cloud: str, token: str, config: Path, *extra: str | Path, env: dict[str, str] | None = None
) -> Ran:
    """``kfleet provision enroll --token … --cloud … --config …`` (data dir next to it)."""
    return await kfleet(
        "provision", "enroll", "--token", token, "--cloud", cloud, "--config", config,
        "--data-dir", config.parent / "data", *extra, env=env,
    )  # fmt: skip


async def expire_token(parts: Parts, token_id: str) -> None:
    """Move a token's expiry into the past (as if a week had gone by)."""
    from datetime import UTC, datetime, timedelta

    from cloud.db.identity import EnrollmentToken

    async with parts.sessions() as s:
        row = await s.get(EnrollmentToken, token_id)
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        await s.commit()
