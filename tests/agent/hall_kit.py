"""What the hall tests share: content bodies as the cloud publishes them, a publisher that
sends them retained on the site's topics like the cloud's ``ContentPublisher``, a tiny HTTP
server of blobs that checks the device's credentials, and an agent of a test site."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import socket
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiomqtt
import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from edge_agent.agent import Agent
from edge_agent.config import AgentConfig, parse_config
from protocols.envelope import MsgType, Sender, encode
from protocols.hall import (
    BlobRef,
    CallEntry,
    FloorPlanBody,
    LiveBody,
    PlanWindow,
    QueueCount,
    ScreenMarker,
    StaffCard,
    WindowInfo,
    WindowLive,
    WindowsBody,
    WindowStatus,
)
from protocols.mqtt_url import parse_mqtt_url
from protocols.topics import site_topic

TIMEOUT = 15.0
SECRET = "s3cret-hall-screen"
CLOUD = Sender("kf-cloud")


def site_of(uid: str) -> str:
    """A site of the test's own: retained content of other tests never reaches it."""
    return f"qh/t{uid}"


def png(color: tuple[int, int, int], size: tuple[int, int] = (64, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def ref_of(data: bytes, media_type: str = "image/png") -> BlobRef:
    return BlobRef(
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        media_type=media_type,  # type: ignore[arg-type]
    )


def now() -> datetime:
    return datetime.now(UTC)


def plan(site: str, version: int, image: bytes, *, here: str = "") -> FloorPlanBody:
    return FloorPlanBody(
        site=site,
        version=version,
        published_at=now(),
        image=ref_of(image),
        width=64,
        height=40,
        title_zh="黄河路街道便民服务中心 一楼",
        title_en="Ground floor",
        windows=[PlanWindow(number="1", x=0.2, y=0.3), PlanWindow(number="3", x=0.8, y=0.3)],
        markers=[ScreenMarker(device_id=here, x=0.5, y=0.9)] if here else [],
    )


#: when each (ticket, window, recall) was first called: a call keeps its time in later bodies
_CALLED: dict[tuple[str, str, int], datetime] = {}


def _call(ticket: str, window: str, recall: int = 0) -> CallEntry:
    at = _CALLED.setdefault((ticket, window, recall), now())
    return CallEntry(ticket=ticket, window=window, queue="a", called_at=at, recall=recall)


def live(
    site: str,
    version: int,
    calls: list[tuple[str, str]],
    *,
    serving: str = "",
    recall: int = 0,
    staff_no: str = "0031",
) -> LiveBody:
    """Calls (ticket, window), newest first, the newest with ``recall``; window 3 serves
    ``serving`` if given, with ``staff_no`` signed in."""
    return LiveBody(
        site=site,
        version=version,
        published_at=now(),
        windows=[
            WindowLive(
                number="3",
                status=WindowStatus.OPEN,
                staff_no=staff_no,
                serving=serving,
                serving_state="serving" if serving else "",
            )
        ],
        calls=[_call(t, w, recall if i == 0 else 0) for i, (t, w) in enumerate(calls)],
        queues=[QueueCount(code="a", name_zh="综合业务", name_en="General", waiting=4)],
    )


def windows(site: str, version: int, photo: bytes | None = None) -> WindowsBody:
    staff = StaffCard(
        staff_no="0031", name="王丽", title="科员", photo=ref_of(photo) if photo else None
    )
    return WindowsBody(
        site=site,
        version=version,
        published_at=now(),
        windows=[
            WindowInfo(number="3", name_zh="社保窗口", name_en="Social insurance", staff=[staff])
        ],
    )


@asynccontextmanager
async def cloud_client(url: str) -> AsyncIterator[aiomqtt.Client]:
    ep = parse_mqtt_url(url)
    async with aiomqtt.Client(ep.host, ep.port, identifier=f"kf-cloud-{uuid.uuid4().hex[:8]}") as c:
        yield c


async def publish_on(
    client: aiomqtt.Client, site: str, body: Any, *, name: str = "", payload: bytes = b""
) -> None:
    """Publish retained on the site's topic for ``body.kind`` (or ``name``), as the cloud does;
    ``payload`` instead of an envelope of ``body`` to send something broken."""
    topic = site_topic(site, name or body.kind)
    data = payload or encode(CLOUD.envelope(MsgType.CONTENT, body))
    await client.publish(topic, data, qos=1, retain=True)


async def publish(url: str, site: str, body: Any, *, name: str = "", payload: bytes = b"") -> None:
    """:func:`publish_on` a connection of its own."""
    async with cloud_client(url) as client:
        await publish_on(client, site, body, name=name, payload=payload)


class BlobServer:
    """``GET /api/v1/blobs/{sha256}`` with the device's Basic credentials, like the cloud."""

    def __init__(self, username: str) -> None:
        self.blobs: dict[str, bytes] = {}
        self.requests: Counter[str] = Counter()
        self.fail_next = 0  # answer 503 to this many requests
        self.damaged: set[str] = set()  # serve these truncated
        self._expected = "Basic " + base64.b64encode(f"{username}:{SECRET}".encode()).decode()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def add(self, data: bytes) -> None:
        self.blobs[hashlib.sha256(data).hexdigest()] = data

    async def _get(self, request: Request) -> Response:
        sha = request.path_params["sha"]
        self.requests[sha] += 1
        if request.headers.get("authorization") != self._expected:
            return Response("device credentials required", status_code=401)
        if self.fail_next > 0:
            self.fail_next -= 1
            return Response("busy", status_code=503)
        data = self.blobs.get(sha)
        if data is None:
            return Response("no such blob", status_code=404)
        return Response(data[:-5] if sha in self.damaged else data, media_type="image/png")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[BlobServer]:
        app = Starlette(routes=[Route("/api/v1/blobs/{sha}", self._get)])
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[self._sock]))
        try:
            yield self
        finally:
            server.should_exit = True
            await task
            self._sock.close()


def hall_config(
    mqtt_url: str,
    uid: str,
    data_dir: Path,
    cloud_url: str,
    *,
    port: int = 0,
    role: str = "hall_screen",
    **screen: Any,
) -> AgentConfig:
    dev = f"hall-{uid}" if role == "hall_screen" else f"{role}-{uid}"
    return parse_config(
        {
            "device_id": dev,
            "role": role,
            "site": site_of(uid),
            "name": "大厅屏 1",
            "data_dir": str(data_dir),
            "health_interval_s": 3600,
            "tele_interval_s": 3600,
            "mqtt": {
                "url": mqtt_url,
                "reconnect_min_s": 0.05,
                "reconnect_max_s": 0.5,
                "username": dev,
                "password": SECRET,
            },
            "cloud": {"url": cloud_url},
            "screen": {"enabled": bool(port), "port": port or 8090, **screen},
        },
        source="test",
    )


@asynccontextmanager
async def running(config: AgentConfig, *, connected: bool = True) -> AsyncIterator[Agent]:
    """The agent running (connected to the broker if ``connected``; else it keeps trying)."""
    agent = Agent(config)
    task = asyncio.create_task(agent.run())
    try:
        async with asyncio.timeout(TIMEOUT):
            if connected:
                await agent.wait_connected()
            await agent.screen.settled.wait()
        yield agent
    finally:
        await agent.stop()
        await task


async def until_fetched(agent: Agent, check: Any) -> None:
    """Wait (bounded) until ``check()`` holds, woken after every image fetch attempt."""
    async with asyncio.timeout(TIMEOUT):
        while not check():
            await agent.hall.blobs.wait_attempt()


async def until(agent: Agent, check: Any) -> None:
    """Wait (bounded) until ``check()`` holds, woken by every change of the hall content."""
    async with asyncio.timeout(TIMEOUT):
        while not check():
            await agent.hall.wait_change(agent.hall.revision)
