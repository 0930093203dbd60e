"""Pieces of the staged-rollout test (issue 17): agents under ``kfleet-agent-launch``, a tap
on the broker that sees every birth and ``upgrade`` event, releases published as blobs of a
real cloud process, and :func:`roll_out` — the stand-in for rollcloud's service.

:func:`roll_out` is the one function to replace once ``cloud/rollouts/`` is merged: it
takes the release, the waves and the gate's numbers and returns how the rollout ended
(``completed`` or ``halted``). With the service it becomes ``POST /api/v1/rollouts`` and
polling ``GET /api/v1/rollouts/{id}`` until the state is final; everything the test asserts
is read from the tap, not from this function, so the assertions stay as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import io
import json
import sys
import tarfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiomqtt
from pydantic import BaseModel

from cloud import blobs as blob_store
from protocols.envelope import MsgType, Sender, encode
from protocols.topics import DeviceChannel, device_topic
from protocols.upgrade import MAX_ARTIFACT_BYTES, Artifact, RollbackOrder, UpgradeOrder
from provisioning.release import ENTRY, build_release
from tests.faults.procs import CloudProcess, _Proc

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


async def publish_release(
    cloud: CloudProcess, data_dir: Path, version: str, data: bytes
) -> Release:
    """The artifact as a blob of ``cloud`` and a read URL minted as ``Grants.fetch_for``."""
    sha256 = hashlib.sha256(data).hexdigest()
    store = blob_store.BlobStore(data_dir / "blobs", MAX_ARTIFACT_BYTES)

    async def chunks() -> AsyncIterator[bytes]:
        yield data

    await store.put(sha256, chunks())
    token = blob_store.make_token(SECRET, sha256, "get", 3600)
    expires = datetime.fromtimestamp(blob_store.token_expiry(token), UTC).isoformat()
    url = f"{cloud.base_url}/api/v1/blobs/{sha256}?token={token}"
    return Release(version, Artifact(url=url, sha256=sha256, size=len(data), expires=expires))


async def send_command(broker_port: int, device: str, body: BaseModel) -> None:
    """A ``cmd`` as the cloud's bus sends it (QoS 1, an envelope from a cloud sender)."""
    env = Sender(src="cloud-rollout-test").envelope(MsgType.CMD, body)
    async with aiomqtt.Client("127.0.0.1", broker_port) as client:
        await client.publish(device_topic(device, DeviceChannel.CMD), encode(env), qos=1)


async def roll_out(
    broker_port: int,
    tap: FleetTap,
    release: Release,
    waves: list[list[str]],
    *,
    rollout_id: str,
    health_window_s: int,
    max_failures: int = 0,
) -> str:
    """Wave by wave through the bus (rollcloud's service stands here after the merge): order
    each device of a wave, wait for every one to end ``healthy`` (with a birth of the new
    version) or not; past ``max_failures`` halt, ordering back those that switched."""
    for wave in waves:
        before = {dev: tap.version_of(dev) for dev in wave}
        for dev in wave:
            order = UpgradeOrder(
                rollout_id=rollout_id,
                version=release.version,
                artifact=release.artifact,
                health_window_s=health_window_s,
            )
            await send_command(broker_port, dev, order)

        def outcome(wave: list[str] = wave) -> dict[str, str] | None:
            ends: dict[str, str] = {}
            for dev in wave:
                states = tap.states(dev, rollout_id)
                end = next(
                    (s for s in reversed(states) if s in ("healthy", "failed", "rolled_back")), None
                )
                if end is None or (end == "healthy" and tap.version_of(dev) != release.version):
                    return None
                ends[dev] = end
            return ends

        ends = await tap.until(outcome, health_window_s + 90, f"wave {wave} to end")
        failed = [dev for dev, end in ends.items() if end != "healthy"]
        if len(failed) > max_failures:
            for dev, end in ends.items():
                if end == "healthy":
                    await send_command(
                        broker_port,
                        dev,
                        RollbackOrder(rollout_id=rollout_id, to_version=before[dev]),
                    )
            return "halted"
    return "completed"
