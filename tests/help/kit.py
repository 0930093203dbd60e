"""A cloud with the call centre, kiosks and operators, and a stand-in for ``parts.media``
(the relay engineer's ``MediaService`` is built in parallel; the call centre uses only the
four methods of :class:`cloud.help.calls_model.CallMedia`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from cloud.settings import Settings
from fleet.access import PersonRole
from tests.access.kit import HHL, AccessCloud, access_cloud
from tests.hall.kiosk_kit import kiosk_device

CALLS = "/api/v1/kiosk/help/calls"
DESK = "/api/v1/help"


@dataclass
class StandInMedia:
    """Records what the call centre asks of the media plane; a start can be made to fail."""

    started: list[tuple[str, str, str, str]] = field(default_factory=list)
    stopped: list[tuple[str, str]] = field(default_factory=list)
    fail_start: str = ""
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def start_device_stream(
        self, device_id: str, stream_id: str, purpose: str, site_path: str
    ) -> str:
        if self.fail_start:
            raise RuntimeError(self.fail_start)
        self.started.append((device_id, stream_id, purpose, site_path))
        self.changed.set()
        return "call-123"

    async def stop_device_stream(self, device_id: str, stream_id: str) -> None:
        self.stopped.append((device_id, stream_id))
        self.changed.set()

    def mint_publish(self, stream_id: str, ttl_s: int) -> str:
        return f"pub:{stream_id}:{ttl_s}"

    def mint_view(self, stream_id: str, ttl_s: int, viewer: str) -> str:
        return f"view:{stream_id}:{viewer}"


@dataclass
class HelpCloud:
    cloud: AccessCloud
    media: StandInMedia

    async def kiosk(self, device_id: str = "kiosk-hhl-1", site: str = HHL) -> httpx.AsyncClient:
        return await kiosk_device(self.cloud, device_id, site, printer=False)

    async def operator(
        self, name: str, scope: str = "qh", on_duty: bool = True
    ) -> httpx.AsyncClient:
        client = await self.cloud.as_role(PersonRole.OPERATOR, scope, name)
        if on_duty:
            r = await client.put(f"{DESK}/duty", json={"on_duty": True})
            assert r.status_code == 200, r.text
        return client


def call_body(request_id: str = "r-1", **extra: Any) -> dict[str, Any]:
    return {"request_id": request_id, "lang": "zh-CN", "screen": "apply", "source": "tile", **extra}


@asynccontextmanager
async def help_cloud(tmp_path: Path, mqtt_url: str, **settings: Any) -> AsyncIterator[HelpCloud]:
    config = Settings(data_dir=tmp_path, mqtt_url=mqtt_url, demo=True, **settings)
    async with access_cloud(config) as cloud:
        media = StandInMedia()
        cloud.parts.help.calls.streams.media = media
        yield HelpCloud(cloud, media)
