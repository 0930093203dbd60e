"""Rollout tests' kit: release artifacts, and a stand-in device that answers upgrade and
rollback orders the way the contract says an agent does (the real agent side is
``edge_agent/upgrade``, tested end to end by its own suite).

The stand-in speaks only ``protocols``: births naming its running version, ``upgrade``
events for each step, and it downloads the artifact from the order's URL and checks size
and sha256 like a device must.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from typing import Any
from urllib.parse import urlsplit

import httpx

from cloud.wiring import Parts
from protocols.envelope import Envelope
from protocols.messages import EventBody, EventKind
from protocols.topics import DeviceChannel
from protocols.upgrade import RELEASE_MANIFEST, UpgradeData, UpgradeOrder, UpgradeState
from tests.cloudkit import FakeDevice

OLD, NEW = "1.0.0", "1.1.0"


def release_tar(
    version: str, manifest: dict[str, Any] | None = None, payload: bytes = b""
) -> bytes:
    """A release artifact: ``kfleet-release.json`` (``manifest`` replaces the good one) and
    one file of the release."""
    good = {"version": version, "protocol": 1, "entry": ["bin/kfleet-agent"], "notes": "测试"}
    files = {
        RELEASE_MANIFEST: json.dumps(good if manifest is None else manifest).encode(),
        "bin/kfleet-agent": b"#!/bin/sh\nexec true\n" + payload,
    }
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


async def publish(
    http: httpx.AsyncClient, body: bytes, kind: str = "application/gzip"
) -> httpx.Response:
    return await http.post("/api/v1/agent-releases", content=body, headers={"content-type": kind})


class StandIn(FakeDevice):
    """A device whose agent runs ``version``; a ``good`` one passes its health check after
    an upgrade, a bad one crashes and switches back by itself."""

    def __init__(self, url: str, device_id: str, site: str, *, good: bool = True) -> None:
        super().__init__(url, device_id, site, peripherals=[])
        self.version = OLD
        self.good = good

    async def restart_as(self, cloud: Parts, version: str) -> None:
        """The launcher started ``version``: a new session and its birth, seen by the cloud."""
        self.version = version
        async with cloud.hub.subscribe(f"device:{self.device_id}") as sub:
            await self.birth(self.bd_seq + 1)
            assert await sub.wait_for(lambda v: v == "online", 5) == "online"

    async def report(
        self, cloud: Parts, rollout_id: str, version: str, state: UpgradeState, reason: str = ""
    ) -> None:
        """One ``upgrade`` event, stored by the cloud when this returns."""
        data = UpgradeData(
            rollout_id=rollout_id,
            version=version,
            state=state,
            previous_version=OLD,
            reason=reason,
        )
        body = EventBody(kind=EventKind.UPGRADE, data=data.model_dump(mode="json"))
        async with cloud.hub.subscribe(f"device:{self.device_id}") as sub:
            await self.publish(DeviceChannel.EVT, body)
            assert await sub.wait_for(lambda v: v == "evt", 5) == "evt"

    async def answer(
        self, cloud: Parts, http: httpx.AsyncClient, timeout_s: float = 10.0
    ) -> Envelope[Any]:
        """Take the next order and play it through; returns its envelope."""
        env = await self.next_command(timeout_s)
        op = env.body.op
        if op == "agent.upgrade":
            await self._upgrade(cloud, http, env.body)
        elif op == "agent.rollback":
            await self.restart_as(cloud, env.body.to_version)
            await self.report(cloud, env.body.rollout_id, NEW, UpgradeState.ROLLED_BACK, "ordered")
        return env

    async def _upgrade(self, cloud: Parts, http: httpx.AsyncClient, order: UpgradeOrder) -> None:
        rid, version = order.rollout_id, order.version
        await self.report(cloud, rid, version, UpgradeState.DOWNLOADING)
        url = urlsplit(order.artifact.url)
        got = await http.get(f"{url.path}?{url.query}")
        assert got.status_code == 200, got.text
        assert len(got.content) == order.artifact.size
        assert hashlib.sha256(got.content).hexdigest() == order.artifact.sha256
        await self.report(cloud, rid, version, UpgradeState.STAGED)
        await self.report(cloud, rid, version, UpgradeState.SWITCHING)
        if self.good:
            await self.restart_as(cloud, version)
            await self.report(cloud, rid, version, UpgradeState.HEALTHY)
        else:  # the new version crashed at start: the launcher went back by itself
            await self.restart_as(cloud, OLD)
            await self.report(cloud, rid, version, UpgradeState.ROLLED_BACK, "crashed")
