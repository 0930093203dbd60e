"""The real cloud for the fuzzer: ``kfleet cloud run`` (uvicorn) in its own process, as an
operator runs it, on a database and broker the test chose.

The fuzzer talks HTTP to it over loopback, so everything between the socket and the handlers
(uvicorn's parsing, the body limit, the NUL guard, the error shape) is what is tested.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from kfleet.world.net import free_port
from tests.identity_kit import bearer, token_for_database

#: how long the cloud gets to come up (2 shared cores, cold imports, migrations)
START_TIMEOUT_S = 60.0
#: every login of an unknown name (most of the fuzzer's) burns one argon2id verification, and
#: each new or changed password one hash: ~0.2 s of CPU each at the production cost (64 MiB,
#: 3 passes, 4 lanes), which is the operator's setting (docs/settings.md), not what the
#: fuzzer checks; the routes answer the same at any cost (tests/people use the same values)
CHEAP_PASSWORD_HASHES = {
    "KFLEET_PASSWORD_TIME_COST": "1",
    "KFLEET_PASSWORD_MEMORY_KIB": "1024",
    "KFLEET_PASSWORD_PARALLELISM": "1",
}
#: the broker hooks' shared secret (/api/v1/broker/authn|authz): the fuzzer sends it too
HOOK_SECRET = "fuzz-broker-hook-secret"


@dataclass(frozen=True)
class CloudProcess:
    base_url: str
    log: Path
    token: str  # an administrator's API token (scope qh), made in its database

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return "\n".join(text[-lines:])


def cloud_env(data_dir: Path, database_url: str, mqtt_url: str, port: int) -> dict[str, str]:
    """The environment of a throwaway cloud: its own data dir, database, client id, secret,
    and passwords hashed at argon2id's cheapest allowed cost (:data:`CHEAP_PASSWORD_HASHES`)."""
    return {
        **CHEAP_PASSWORD_HASHES,
        **os.environ,  # KFLEET_PASSWORD_TIME_COST=3 … measures the production cost instead
        "KFLEET_DATA_DIR": str(data_dir),
        "KFLEET_DATABASE_URL": database_url,
        "KFLEET_MQTT_URL": mqtt_url,
        "KFLEET_MQTT_SESSION": "clean",
        "KFLEET_MQTT_CLIENT_ID": f"fuzz-cloud-{secrets.token_hex(4)}",
        "KFLEET_SECRET_KEY": secrets.token_hex(16),
        "KFLEET_HOST": "127.0.0.1",
        "KFLEET_PORT": str(port),
        "KFLEET_LOG_LEVEL": "warning",
        "KFLEET_BROKER_HOOK_SECRET": HOOK_SECRET,
    }


async def _healthy(client: httpx.AsyncClient, proc: subprocess.Popen[bytes], log: Path) -> None:
    async with asyncio.timeout(START_TIMEOUT_S):
        while True:
            if proc.poll() is not None:
                text = await asyncio.to_thread(log.read_text, errors="replace")
                raise AssertionError(f"the cloud exited with {proc.returncode}:\n{text}")
            try:
                health = (await client.get("/healthz")).json()
                if health.get("database") and health.get("mqtt"):
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)  # polling another process's port: there is no event


def _launch(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Seed the pilot sites, then start the cloud; both write to ``log``."""
    kfleet = [sys.executable, "-m", "kfleet"]
    with log.open("ab") as out:
        subprocess.run(
            [*kfleet, "cloud", "seed-pilot"], env=env, stdout=out, stderr=out, check=True
        )
        return subprocess.Popen([*kfleet, "cloud", "run"], env=env, stdout=out, stderr=out)


@asynccontextmanager
async def cloud_process(tmp: Path, database_url: str, mqtt_url: str) -> AsyncIterator[CloudProcess]:
    """Seed the pilot sites, start the cloud, wait until it answers with the broker connected;
    on exit stop it (SIGTERM, then SIGKILL) and keep its log for the failure message."""
    port = free_port()
    env = cloud_env(tmp / "data", database_url, mqtt_url, port)
    log = tmp / "cloud.log"
    proc = await asyncio.to_thread(_launch, env, log)
    try:
        base_url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base_url) as client:
            await _healthy(client, proc, log)
        # the schema is migrated by now (seed-pilot did it before the cloud started)
        token = await token_for_database(
            database_url or f"sqlite+aiosqlite:///{tmp / 'data' / 'kfleet.db'}"
        )
        yield CloudProcess(base_url=base_url, log=log, token=token)
    finally:
        proc.terminate()
        try:
            await asyncio.to_thread(proc.wait, 20)
        except subprocess.TimeoutExpired:
            proc.kill()
            await asyncio.to_thread(proc.wait)
