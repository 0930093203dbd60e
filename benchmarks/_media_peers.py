"""The processes of ``benchmarks/media.py``: the relay under test behind a bare WHIP/WHEP
HTTP front, aiortc publishers of the synthetic camera (640 × 480 @ 15 fps VP8, the timestamp
strip in every frame), and aiortc viewers that decode each frame and read its strip.

``python -m benchmarks._media_peers relay --port P --backend relay|standin``
``python -m benchmarks._media_peers publish --url U --streams a,b --seconds S``
``python -m benchmarks._media_peers view --url U --streams a,b --per-stream K --seconds S``
The peers print one JSON line when done (frames, latencies in ms). Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import sys
import time
from dataclasses import asdict
from typing import Any

import httpx
import uvicorn
from aiortc import (
    AudioStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from av import AudioFrame, VideoFrame
from fastapi import FastAPI, Request, Response

from cloud.media.backend import MediaError, StreamInfo
from protocols.ice_hosts import restrict_ice_hosts
from simulators.av_source import SyntheticAvSource
from simulators.av_stamp import read_stamp

FPS = 15
SIZE = (640, 480)


class CameraTrack(VideoStreamTrack):
    """The synthetic camera, paced at ``FPS``; each frame stamped with the wall clock."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.source = SyntheticAvSource(*SIZE, FPS, seed=seed)
        self._t0: float | None = None
        self._n = 0

    async def recv(self) -> VideoFrame:
        if self._t0 is None:
            self._t0 = time.monotonic()
        due = self._t0 + self._n / FPS
        if due > time.monotonic():
            await asyncio.sleep(due - time.monotonic())
        ok, img = self.source.read()
        assert ok and img is not None
        frame = VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts, frame.time_base = self._n * (90000 // FPS), fractions.Fraction(1, 90000)
        self._n += 1
        return frame


class ToneTrack(AudioStreamTrack):
    """The synthetic microphone's tone, 20 ms Opus frames (what the agent publishes)."""

    def __init__(self, source: SyntheticAvSource) -> None:
        super().__init__()
        self.source = source

    async def recv(self) -> AudioFrame:
        frame = await super().recv()  # aiortc's paced silence: its timing and layout
        assert isinstance(frame, AudioFrame)
        samples = self.source.read_audio(frame.samples)
        frame.planes[0].update(samples.tobytes())
        return frame


async def _offer(pc: RTCPeerConnection) -> str:
    await pc.setLocalDescription(await pc.createOffer())
    return pc.localDescription.sdp


async def publish(url: str, streams: list[str], seconds: float) -> dict[str, Any]:
    pcs = []
    async with httpx.AsyncClient(timeout=30) as http:
        for i, sid in enumerate(streams):
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            camera = CameraTrack(seed=i + 1)
            pc.addTransceiver(camera, direction="sendonly")
            pc.addTransceiver(ToneTrack(camera.source), direction="sendonly")
            r = await http.post(f"{url}/whip/{sid}", content=await _offer(pc))
            if r.status_code != 201:
                raise SystemExit(f"WHIP {sid}: {r.status_code} {r.text}")
            await pc.setRemoteDescription(RTCSessionDescription(r.text, "answer"))
            pcs.append(pc)
    await asyncio.sleep(seconds)  # the peers run for the benchmark's window
    for pc in pcs:
        await pc.close()
    return {"published": len(pcs)}


async def view(url: str, streams: list[str], per_stream: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    frames = {"total": 0, "unreadable": 0, "unreadable_after_3s": 0}
    pcs, tasks = [], []
    started = time.monotonic()

    async def consume(track: Any) -> None:
        if track.kind != "video":
            while True:
                await track.recv()  # decoded and dropped, as a player would play it
        while True:
            frame = await track.recv()
            now_ms = time.time() * 1000
            stamp = read_stamp(frame.to_ndarray(format="gray"))
            frames["total"] += 1
            settled = time.monotonic() - started > 3  # past the first keyframe of each viewer
            if stamp is None:
                frames["unreadable"] += 1
                frames["unreadable_after_3s"] += settled
            elif settled:
                latencies.append(now_ms - stamp)

    async with httpx.AsyncClient(timeout=30) as http:
        for sid in streams:
            for _ in range(per_stream):
                pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
                pc.addTransceiver("video", direction="recvonly")
                pc.addTransceiver("audio", direction="recvonly")
                pc.on("track", lambda t: tasks.append(asyncio.ensure_future(consume(t))))
                r = await http.post(f"{url}/whep/{sid}", content=await _offer(pc))
                if r.status_code != 201:
                    raise SystemExit(f"WHEP {sid}: {r.status_code} {r.text}")
                await pc.setRemoteDescription(RTCSessionDescription(r.text, "answer"))
                pcs.append(pc)
    await asyncio.sleep(seconds)  # the window the orchestrator measures
    for t in tasks:
        t.cancel()
    for pc in pcs:
        await pc.close()
    return {"viewers": len(pcs), "frames": frames, "latency_ms": latencies}


def relay(port: int, backend_name: str) -> None:
    backend = _backend(backend_name)
    app = FastAPI()

    @app.post("/whip/{sid}")
    async def whip(sid: str, request: Request) -> Response:
        info = StreamInfo(sid, "monitor", f"bench-{sid}", "bench")
        try:
            s = await backend.publish(info, (await request.body()).decode())
        except MediaError as err:
            return Response(str(err), err.status)
        return Response(s.answer_sdp, 201, media_type="application/sdp")

    @app.post("/whep/{sid}")
    async def whep(sid: str, request: Request) -> Response:
        try:
            s = await backend.view(sid, (await request.body()).decode(), "bench")
        except MediaError as err:
            return Response(str(err), err.status)
        return Response(s.answer_sdp, 201, media_type="application/sdp")

    @app.get("/health")
    async def health() -> list[dict[str, Any]]:
        return [asdict(h) | {"info": asdict(h.info)} for h in backend.health()]

    async def serve() -> None:
        runner = getattr(backend, "run", None)
        worker = asyncio.ensure_future(runner()) if runner else None
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        await uvicorn.Server(config).serve()
        if worker:
            worker.cancel()

    asyncio.run(serve())


def _backend(name: str) -> Any:
    if name == "relay":
        from cloud.media.relay import AiortcRelay, RelayConfig  # type: ignore[import-not-found]

        return AiortcRelay(RelayConfig())
    from benchmarks._media_standin import StandInBackend

    return StandInBackend()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="benchmarks._media_peers")
    p.add_argument("role", choices=["relay", "publish", "view"])
    p.add_argument("--url", default="")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--backend", default="standin")
    p.add_argument("--streams", default="")
    p.add_argument("--per-stream", type=int, default=1)
    p.add_argument("--seconds", type=float, default=10)
    a = p.parse_args(argv)
    restrict_ice_hosts(["127.0.0.1"])
    if a.role == "relay":
        relay(a.port, a.backend)
        return
    streams = [s for s in a.streams.split(",") if s]
    if a.role == "publish":
        out = asyncio.run(publish(a.url, streams, a.seconds))
    else:
        out = asyncio.run(view(a.url, streams, a.per_stream, a.seconds))
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
