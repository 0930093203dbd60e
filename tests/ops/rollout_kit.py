"""Pieces of the staged-rollout test (issue 17): agents under ``kfleet-agent-launch``, a tap
on the broker that sees every birth and ``upgrade`` event, releases published as blobs of a
real cloud process, and :func:`roll_out`, which runs a rollout through the cloud's service
(``POST /api/v1/rollouts``, then polling it as the console does). Everything the test asserts
about the devices is read from the tap, not from the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import io
import json
import os
import signal
import sys
import tarfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiomqtt
import httpx

from protocols.upgrade import Artifact
from provisioning.release import ENTRY, build_release
from tests.faults.procs import _Proc

T = TypeVar("T")
SECRET = "fault-tests-secret-0123456789abcdef"  # CloudProcess's KFLEET_SECRET_KEY
#: what a release that "fails its health check" runs: it dies at start, before the broker
CRASHING_ENTRY = b"import sys\nsys.exit('this release is broken on purpose')\n"


class LaunchedAgent(_Proc):
    """``python -m edge_agent.upgrade.launcher --config …``: the launcher and its agent."""

    def __init__(self, config: Path) -> None:
        super().__init__(config.parent / "launcher.log")
        self.config = config

    def start(self) -> None:
        argv = [sys.executable, "-m", "edge_agent.upgrade.launcher", "--config", str(self.config)]
        self._spawn(argv)

    def kill(self) -> None:
        """SIGKILL the launcher *and* the agent it runs: a SIGKILLed launcher passes nothing
        on, and its agent would live on after the test, orphaned (still reconnecting to a
        broker port some later test may own). Frozen first, so it starts no new one."""
        if not self.running():
            super().kill()
            return
        self._signal(signal.SIGSTOP)
        for pid in self.agents():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        super().kill()

    def agents(self) -> list[int]:
        """Pids of the agent processes the launcher runs now."""
        try:
            return [
                int(p)
                for p in Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
            ]
        except (OSError, AssertionError):
            return []


@dataclass
class FleetTap:
    """Every ``birth`` and ``upgrade`` event the broker carries, in arrival order."""

    births: list[tuple[str, str, int]] = field(default_factory=list)  # device, version, bd_seq
    upgrades: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def record(self, message: aiomqtt.Message) -> None:
        device, channel = message.topic.value.split("/")[3:5]
        body = json.loads(bytes(message.payload))["body"]
        async with self.changed:
            if channel == "birth":
                self.births.append((device, body["versions"]["agent"], body["bd_seq"]))
            elif body["kind"] == "upgrade":
                self.upgrades.append((device, body["data"]))
            self.changed.notify_all()

    async def until(self, probe: Callable[[], T | None], timeout: float, what: str) -> T:  # noqa: ASYNC109
        """Until ``probe`` (over what the tap saw) returns non-None."""
        try:
            async with asyncio.timeout(timeout), self.changed:
                while (value := probe()) is None:
                    await self.changed.wait()
                return value
        except TimeoutError:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}") from None

    def states(self, device: str, rollout_id: str) -> list[str]:
        return [
            d["state"]
            for dev, d in self.upgrades
            if dev == device and d["rollout_id"] == rollout_id
        ]

    def version_of(self, device: str) -> str:
        """The version of the device's last birth ("" before any)."""
        return next((v for dev, v, _ in reversed(self.births) if dev == device), "")


@contextlib.asynccontextmanager
async def tapped(broker_port: int) -> AsyncIterator[FleetTap]:
    tap = FleetTap()
    async with aiomqtt.Client("127.0.0.1", broker_port) as client:
        await client.subscribe("kf/v1/dev/+/birth", qos=1)
        await client.subscribe("kf/v1/dev/+/evt", qos=1)

        async def read() -> None:
            async for message in client.messages:
                await tap.record(message)

        reader = asyncio.create_task(read())
        try:
            yield tap
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader


@dataclass(frozen=True)
class Release:
    version: str
    artifact: Artifact


def release_archive(version: str, out: Path, *, crashing: bool = False) -> bytes:
    """``kfleet release build`` of this tree; ``crashing``: its entry dies at start."""
    build_release(version, out, notes="rollout test")
    data = out.read_bytes()
    if not crashing:
        return data
    buf = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as src,
        gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w") as dst,
    ):
        for member in src.getmembers():
            body = CRASHING_ENTRY if member.name == ENTRY else src.extractfile(member).read()  # type: ignore[union-attr]
            member.size = len(body)
            dst.addfile(member, io.BytesIO(body))
    return buf.getvalue()


async def publish_release(http: httpx.AsyncClient, version: str, data: bytes) -> str:
    """``POST /api/v1/agent-releases``: the cloud reads the manifest and keeps the blob."""
    r = await http.post(
        "/api/v1/agent-releases", content=data, headers={"Content-Type": "application/gzip"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["version"] == version
    return str(r.json()["sha256"])


async def roll_out(
    http: httpx.AsyncClient,
    version: str,
    site: str,
    waves: list[list[str]],
    *,
    health_window_s: int,
    max_failures: int = 0,
) -> tuple[str, str]:
    """The cloud's rollout service (``POST /api/v1/rollouts``), wave by wave over site
    subtrees, polled until it ends; returns (rollout id, ``completed`` | ``halted``)."""
    body = {
        "version": version,
        "site": site,
        "waves": [{"sites": sites} for sites in waves],
        "health_window_s": health_window_s,
        "max_failures": max_failures,
    }
    r = await http.post("/api/v1/rollouts", json=body)
    assert r.status_code == 201, r.text
    rollout_id = str(r.json()["rollout_id"])
    deadline = asyncio.get_running_loop().time() + len(waves) * (health_window_s + 90)
    while True:
        state = (await http.get(f"/api/v1/rollouts/{rollout_id}")).json()
        if state["state"] in ("completed", "halted", "aborted"):
            return rollout_id, str(state["state"])
        assert asyncio.get_running_loop().time() < deadline, state
        await asyncio.sleep(0.5)  # another process's gate: polled as a console would
