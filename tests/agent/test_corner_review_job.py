"""A scan job through a real agent (MQTT, the screen served over HTTP, a synthetic document
camera): the citizen's corners, sent from the screen, are the ones the page is rectified
with; an agent without a screen scans as before, without asking."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from aiohttp import web

from edge_agent.config import AgentConfig, parse_config
from edge_agent.drivers import doc_camera
from kfleet.world.net import free_port
from protocols.jobs import AckState, JobKind
from protocols.messages import make_job_run
from simulators.doc_camera import SyntheticFrameSource, jaccard, source_from_name
from tests.agent.corner_kit import TIMEOUT, pending, to_preview
from tests.agent.test_agent_jobs_flow import setup

DEVICE = "cornertest:plain_desk?seed=7&size=1600x900"


@asynccontextmanager
async def blob_store() -> AsyncIterator[tuple[str, dict[str, bytes]]]:
    """A stand-in for the cloud's blob collection: keeps every PUT body by sha256."""
    kept: dict[str, bytes] = {}

    async def put(request: web.Request) -> web.Response:
        kept[request.match_info["sha"]] = await request.read()
        return web.Response(status=201)

    app = web.Application(client_max_size=64 << 20)
    app.router.add_put("/api/v1/blobs/{sha}", put)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/api/v1/blobs", kept
    finally:
        await runner.cleanup()


class StillPage(SyntheticFrameSource):
    """One page lying still under the camera: every read shows the same scene, so a health
    probe reading a frame between the scan and the check does not move the truth."""

    def read(self) -> tuple[bool, Any]:
        self.reads = 0
        if self.last is None:
            return super().read()
        return True, self.last.frame


@pytest.fixture
def sources(monkeypatch: pytest.MonkeyPatch) -> list[SyntheticFrameSource]:
    """The synthetic cameras the agent opens (``cornertest:...``), to read their truth."""
    made: list[SyntheticFrameSource] = []

    def factory(name: str) -> SyntheticFrameSource:
        made_from = source_from_name(name.replace("cornertest:", "synthetic:", 1))
        still = StillPage(made_from.condition, made_from.seed, made_from.size)
        made.append(still)
        return still

    monkeypatch.setitem(doc_camera._SOURCES, "cornertest", factory)
    return made


def kiosk(url: str, dev: str, data_dir: Path, *, screen: bool) -> tuple[AgentConfig, int]:
    port = free_port()
    config = parse_config(
        {
            "device_id": dev,
            "role": "kiosk",
            "site": "qh/hx/golmud/hhl",
            "data_dir": str(data_dir),
            "health_interval_s": 3600,
            "tele_interval_s": 3600,
            "mqtt": {"url": url, "reconnect_min_s": 0.05, "reconnect_max_s": 0.5},
            "screen": {"enabled": screen, "port": port},
            "peripherals": [
                {"type": "doc_camera_uvc", "id": "doccam", "device": DEVICE, "width": 1600,
                 "height": 900, "warmup_frames": 0, "flush_frames": 0, "ask_below": 1.0},
            ],
        },
        source="test",
    )  # fmt: skip
    return config, port


def scan_job(job_id: str, blobs: str) -> Any:
    uploads = {"base": blobs, "grant": "g", "expires": int(time.time()) + 600}
    return make_job_run(job_id=job_id, kind=JobKind.SCAN, params={"uploads": uploads})


async def citizen(port: int, corners_of: Callable[[float], list[list[float]]]) -> dict[str, Any]:
    """What the screen does: long-poll the review, load its photo, confirm new corners."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        review = None
        while review is None:
            r = await client.get("/api/v1/screen/review", params={"wait_s": 10})
            review = r.json()["review"]
        photo = (await client.get(review["frame_url"])).content
        image = cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape[1::-1] == (review["width"], review["height"]) == (1280, 720)
        corners = corners_of(review["width"] / 1600)
        r = await client.post(
            f"/api/v1/screen/review/{review['id']}", json={"action": "confirm", "corners": corners}
        )
        assert r.status_code == 200, r.text
        return dict(review)


async def test_a_scan_job_rectifies_with_the_citizens_corners(
    mosquitto_url: str, uid: str, tmp_path: Path, sources: list[SyntheticFrameSource]
) -> None:
    dev = f"corner-kiosk-{uid}"
    config, port = kiosk(mosquitto_url, dev, tmp_path / "agent", screen=True)

    def truth(scale: float) -> list[list[float]]:
        scene = sources[0].last
        assert scene is not None
        return to_preview(scene.corners, scale)

    async with blob_store() as (blobs, kept), setup(mosquitto_url, dev, config) as (agent, cloud):
        screen = asyncio.create_task(citizen(port, truth))  # the kiosk's page, polling
        async with asyncio.timeout(TIMEOUT):
            await agent.review_desk.watching.wait()
            await cloud.send(scan_job("scan-1", blobs))
            await screen
        acks = await cloud.acks_until_final("scan-1")
    assert acks[-1].body.state is AckState.SUCCEEDED, acks[-1].body
    result = acks[-1].body.result
    assert result["corners_source"] == "citizen" and result["page_found"]
    scene = sources[0].last
    assert scene is not None
    assert np.allclose(result["corners"], np.asarray(scene.corners), atol=0.02)
    assert jaccard(result["corners"], scene.corners, scene.page_size) >= 0.99
    jpeg = next(b for b in result["blobs"] if b["role"] == "jpeg")
    assert hashlib.sha256(kept[jpeg["sha256"]]).hexdigest() == jpeg["sha256"]


@pytest.mark.parametrize("screen", ["disabled", "port busy", "no page open"])
async def test_an_agent_without_a_screen_scans_without_asking(
    mosquitto_url: str, uid: str, tmp_path: Path, sources: list[SyntheticFrameSource], screen: str
) -> None:
    dev = f"corner-noscreen-{uid}"
    config, port = kiosk(mosquitto_url, dev, tmp_path / "agent", screen=screen != "disabled")
    with socket.socket() as squatter:
        if screen == "port busy":  # another program holds the screen's port
            squatter.bind(("127.0.0.1", port))
            squatter.listen()
        async with blob_store() as (blobs, _), setup(mosquitto_url, dev, config) as (agent, cloud):
            await cloud.send(scan_job("scan-2", blobs))
            acks = await cloud.acks_until_final("scan-2")
            assert agent.review_desk.current() is None
            assert agent.screen.serving is (screen == "no page open")
    result = acks[-1].body.result
    assert acks[-1].body.state is AckState.SUCCEEDED, acks[-1].body
    assert result["corners_source"] == "detected" and "corners_note" not in result


async def test_stopping_the_agent_ends_a_pending_review_at_once(
    mosquitto_url: str, uid: str, tmp_path: Path, sources: list[SyntheticFrameSource]
) -> None:
    dev = f"corner-stop-{uid}"
    config, _ = kiosk(mosquitto_url, dev, tmp_path / "agent", screen=True)
    async with blob_store() as (blobs, _), setup(mosquitto_url, dev, config) as (agent, cloud):
        async with asyncio.timeout(TIMEOUT):
            watcher = asyncio.create_task(agent.review_desk.wait_change("", 20))  # a page
            await agent.review_desk.watching.wait()
            await cloud.send(scan_job("scan-3", blobs))
            await pending(agent.review_desk)
        started = time.monotonic()
        await agent.stop()  # orderly: the scan goes on without the citizen, its ack goes out
        stopped_in = time.monotonic() - started
        acks = await cloud.acks_until_final("scan-3")
        await watcher
    assert stopped_in < 8.0  # not the 10 s an orderly stop grants a job that does not end
    assert acks[-1].body.state is AckState.SUCCEEDED, acks[-1].body
    result = acks[-1].body.result
    assert result["corners_source"] == "timeout"
    assert result["corners_note"].startswith("the agent was stopping; the detected page")
