"""A stand-in of the media API's fixed shapes (``HELPERS16.md``: ``GET /api/v1/media/streams``,
WHEP ``POST``/``DELETE``, ``POST /api/v1/devices/{id}/streams``) with real aiortc peer
connections, the console's pages, and just enough of the cloud's API (``/auth/me``, sites,
devices) for ``/live`` — so the page is tested before the relay and the agent land. Streams
are the synthetic A/V source's frames (with the timestamp strip); ``unplug`` ends a stream the
way a device whose camera went would (its camera ``offline``, the stream gone)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.contrib.media import MediaRelay
from av import VideoFrame
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from cloud.api import console
from kfleet.world.net import free_port
from protocols.ice_hosts import restrict_ice_hosts
from simulators.av_source import SyntheticAvSource

HHL = "qh/hx/golmud/hhl"


class SyntheticTrack(VideoStreamTrack):
    """The synthetic camera as a WebRTC video track, paced by aiortc (30 fps)."""

    def __init__(self, source: SyntheticAvSource) -> None:
        super().__init__()
        self.source = source

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        ok, img = self.source.read()
        assert ok and img is not None
        frame = VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


@dataclass
class Stream:
    stream_id: str
    device_id: str
    track: SyntheticTrack
    started_at: datetime
    viewers: dict[str, RTCPeerConnection] = field(default_factory=dict)
    stalled: bool = False


def camera(health: str = "ok", reason: str = "") -> dict[str, Any]:
    return {"id": "cam1", "kind": "av_camera", "model": "synthetic", "capabilities": ["stream"],
            "health": health, "reason": reason, "updated_at": None}  # fmt: skip


@dataclass
class StandInRelay:
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)
    streams: dict[str, Stream] = field(default_factory=dict)
    relay: MediaRelay = field(default_factory=MediaRelay)
    left: list[str] = field(default_factory=list)
    starts: list[str] = field(default_factory=list)
    someone_left: asyncio.Event = field(default_factory=asyncio.Event)
    #: streams that ended recently: stream id → (device id, reason), listed as ``ended``
    ended: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add_device(self, device_id: str, name: str) -> None:
        self.devices[device_id] = {
            "id": device_id, "name": name, "role": "kiosk", "site": HHL, "online": True,
            "peripherals": [camera()], "liveness": "online",
        }  # fmt: skip

    def publish(self, device_id: str) -> Stream:
        self.ended.pop(f"mon-{device_id}", None)
        source = SyntheticAvSource(320, 240, 15, seed=len(self.streams) + 1)
        sid = f"mon-{device_id}"
        self.streams[sid] = Stream(sid, device_id, SyntheticTrack(source), datetime.now(UTC))
        return self.streams[sid]

    async def unplug(self, device_id: str) -> None:
        """As the relay lists it after the device's ``stream`` event: ended, with the reason."""
        self.devices[device_id]["peripherals"] = [camera("offline", "camera unplugged")]
        stream = self.streams.pop(f"mon-{device_id}")
        self.ended[stream.stream_id] = (device_id, "camera unplugged")
        stream.track.stop()
        for pc in stream.viewers.values():
            await pc.close()

    def health(self) -> list[dict[str, Any]]:
        return [
            {
                "stream_id": s.stream_id, "purpose": "monitor", "device_id": s.device_id,
                "site_path": HHL, "state": "stalled" if s.stalled else "live",
                "started_at": s.started_at.isoformat(), "fps": 0.0 if s.stalled else 15.0,
                "bitrate_kbps": 420.0, "packet_loss_pct": 0.0,
                "last_media_at": datetime.now(UTC).isoformat(), "viewers": len(s.viewers),
                "has_audio": False, "passthrough": True, "backend": "stand-in",
            }
            for s in self.streams.values()
        ] + [
            {
                "stream_id": sid, "purpose": "monitor", "device_id": dev, "site_path": HHL,
                "state": "ended", "started_at": None, "fps": 0.0, "bitrate_kbps": 0.0,
                "packet_loss_pct": 0.0, "last_media_at": None, "viewers": 0, "has_audio": False,
                "passthrough": False, "backend": "stand-in", "reason": why,
            }
            for sid, (dev, why) in self.ended.items()
        ]  # fmt: skip

    async def view(self, stream_id: str, offer: str) -> tuple[str, str]:
        stream = self.streams[stream_id]
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        pc.addTrack(self.relay.subscribe(stream.track))
        await pc.setLocalDescription(await pc.createAnswer())
        session = secrets.token_hex(8)
        stream.viewers[session] = pc
        return session, pc.localDescription.sdp

    async def leave(self, stream_id: str, session: str) -> bool:
        stream = self.streams.get(stream_id)
        pc = stream.viewers.pop(session, None) if stream else None
        if pc is None:
            return False
        self.left.append(session)
        self.someone_left.set()
        await pc.close()
        return True

    async def close(self) -> None:
        for s in self.streams.values():
            s.track.stop()
            for pc in s.viewers.values():
                await pc.close()


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def build_app(relay: StandInRelay) -> FastAPI:
    app = FastAPI()
    app.include_router(console.router)

    @app.get("/api/v1/auth/me")
    async def me() -> dict[str, Any]:
        perms = ["devices.read", "media.view"]
        return {"username": "op", "role": "operator", "permissions": perms}

    @app.get("/api/v1/sites")
    async def sites() -> list[dict[str, Any]]:
        hhl = {"path": HHL, "name": "黄河路街道", "children": []}
        return [{"path": "qh", "name": "青海省", "children": [hhl]}]

    @app.get("/api/v1/devices")
    async def devices(site: str = "") -> list[dict[str, Any]]:
        return [d for d in relay.devices.values() if d["site"].startswith(site)]

    @app.get("/api/v1/devices/{device_id}")
    async def device(device_id: str) -> Response:
        d = relay.devices.get(device_id)
        return JSONResponse(d) if d else _error(404, "not_found", "no such device")

    @app.post("/api/v1/devices/{device_id}/streams", status_code=201)
    async def start(device_id: str) -> dict[str, Any]:
        relay.starts.append(device_id)
        stream = relay.publish(device_id)
        return {"stream_id": stream.stream_id, "call_id": "c" * 32, "state": "dispatched"}

    @app.get("/api/v1/media/streams")
    async def streams() -> list[dict[str, Any]]:
        return relay.health()

    @app.post("/api/v1/media/streams/{stream_id}/whep")
    async def whep(stream_id: str, request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0] != "application/sdp":
            return _error(415, "unsupported_media_type", "send the SDP offer as application/sdp")
        if stream_id not in relay.streams:
            return _error(404, "stream_not_live", f"nobody publishes {stream_id} now")
        session, answer = await relay.view(stream_id, (await request.body()).decode())
        where = f"/api/v1/media/streams/{stream_id}/whep/{session}"
        return Response(answer, 201, {"Location": where}, media_type="application/sdp")

    @app.delete("/api/v1/media/streams/{stream_id}/whep/{session}", status_code=204)
    async def leave(stream_id: str, session: str) -> Response:
        if not await relay.leave(stream_id, session):
            return _error(404, "session_not_found", "no such session")
        return Response(status_code=204)

    return app


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # pytest keeps its own signal handlers


@contextlib.asynccontextmanager
async def served(relay: StandInRelay) -> AsyncIterator[str]:
    """The stand-in on 127.0.0.1 (media on loopback only); yields its base URL."""
    restrict_ice_hosts(["127.0.0.1"])
    port = free_port()
    config = uvicorn.Config(
        build_app(relay), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):
            while not server.started:
                if task.done():
                    await task
                    raise RuntimeError("uvicorn did not start")
                await asyncio.sleep(0.02)  # uvicorn exposes no start event
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        await relay.close()
        restrict_ice_hosts([])
