"""The real agent as a process (``python -m kfleet agent run``), and waiting until the cloud
sees a device online."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.identity_kit import bearer
from tests.provisioning.enroll_kit import REPO


def _spawn(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "kfleet", "agent", "run", "--config", str(config)],
            cwd=REPO,
            env=os.environ.copy(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@asynccontextmanager
async def agent_process(config: Path, log: Path) -> AsyncIterator[subprocess.Popen[bytes]]:
    """``kfleet agent run --config`` until the block ends (SIGTERM: an orderly stop)."""
    proc = _spawn(config, log)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(proc.wait, 20)
        except subprocess.TimeoutExpired:
            proc.kill()
            await asyncio.to_thread(proc.wait)


async def wait_online(
    base_url: str, api_token: str, device_id: str, *, after_bd_seq: int = -1, limit_s: float = 60
) -> int:
    """Until ``GET /api/v1/devices/{id}`` says online in a session newer than
    ``after_bd_seq`` (the API has no push for it); that session's ``bd_seq``."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        async with asyncio.timeout(limit_s):
            while True:
                r = await client.get(f"/api/v1/devices/{device_id}", headers=bearer(api_token))
                body = r.json() if r.status_code == 200 else {}
                if body.get("online") and (body.get("bd_seq") or 0) > after_bd_seq:
                    return int(body.get("bd_seq") or 0)
                await asyncio.sleep(0.1)
