"""A tiny WHIP endpoint made of aiortc and aiohttp, and a camera source whose frames carry a
machine-readable counter, for the agent's stream tests.

The endpoint accepts ``POST /whip/<stream>`` with ``Bearer <token>`` (else ``401`` with an
ErrorBody-like JSON), answers ``201`` + ``Location`` + SDP, and decodes every video frame it
receives: :attr:`WhipEndpoint.counters` is the counter read off each frame, so a test sees
that pictures move (after VP8, not before). ``stop()`` closes every peer connection (the
publisher sees its session end) and the HTTP server; ``start()`` serves again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import web
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from kfleet.world.net import free_port
from simulators.av_source import SyntheticAvSource

TOKEN = "publish-token-for-tests-0123456789"
#: the counter strip: BITS blocks of BLOCK × BLOCK pixels along the top edge, white = 1
BITS, BLOCK = 16, 24


class CountingSource(SyntheticAvSource):
    """The simulator's picture with its frame number drawn as big binary blocks on top."""

    def read(self) -> tuple[bool, Any]:
        n = self.frames
        ok, frame = super().read()
        if ok and frame is not None:
            for bit in range(BITS):
                value = 255 if (n >> bit) & 1 else 0
                frame[0:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = value
        return ok, frame


def read_counter(image: np.ndarray) -> int:
    """The counter a :class:`CountingSource` drew into ``image`` (BGR)."""
    grey = image[BLOCK // 2, [bit * BLOCK + BLOCK // 2 for bit in range(BITS)]].mean(axis=1)
    return sum(1 << bit for bit, v in enumerate(grey) if v > 128)


@dataclass
class Session:
    pc: RTCPeerConnection
    stream_id: str
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class WhipEndpoint:
    """``async with WhipEndpoint() as ep:`` → ``ep.url(stream_id)``."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.port = free_port()
        self.sessions: dict[str, Session] = {}
        self.deleted: list[str] = []
        self.posts = 0
        self.counters: list[int] = []
        self.audio_frames = 0
        self.audio_peak = 0
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._reachable = asyncio.Event()
        self._reachable.set()

    def url(self, stream_id: str) -> str:
        return f"http://127.0.0.1:{self.port}/whip/{stream_id}"

    async def __aenter__(self) -> WhipEndpoint:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/whip/{stream}", self._post)
        app.router.add_delete("/whip/{stream}/{session}", self._delete)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        """Close every session's peer connection, then the HTTP server."""
        for sid in list(self.sessions):
            await self._close(sid)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def mute_reports(self) -> None:
        """The sessions open now stop sending RTCP (receiver reports) but stay connected:
        a media server that hangs without closing anything."""

        async def silent(packet: object) -> None:
            return None

        for session in self.sessions.values():
            for receiver in session.pc.getReceivers():
                receiver._send_rtcp = silent  # type: ignore[method-assign]

    def cut_network(self) -> None:
        """As if the kiosk's network dropped: no receiver reports any more, and every HTTP
        request hangs (the client times out) until :meth:`restore_network`."""
        self.mute_reports()
        self._reachable.clear()

    def restore_network(self) -> None:
        self._reachable.set()

    async def _unless_cut(self) -> web.StreamResponse | None:
        if self._reachable.is_set():
            return None
        await self._reachable.wait()  # the client gave up long ago
        return web.json_response({"message": "network was down"}, status=503)

    async def wait_for(self, check: Any, timeout_s: float = 20.0) -> None:
        """Until ``check()`` is true (re-checked at every received frame or session change)."""
        async with asyncio.timeout(timeout_s), self._changed:
            await self._changed.wait_for(check)

    def frames_after(self, count: int) -> bool:
        return len(self.counters) >= count

    # --- HTTP ---

    async def _post(self, request: web.Request) -> web.StreamResponse:
        if (cut := await self._unless_cut()) is not None:
            return cut
        self.posts += 1
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response(
                {"status": 401, "code": "unauthorized", "message": "publish token refused"},
                status=401,
            )
        if request.content_type != "application/sdp":
            return web.json_response({"message": "not SDP"}, status=415)
        offer = await request.text()
        pc = RTCPeerConnection()
        sid = f"s{next(self._ids)}"
        session = Session(pc, request.match_info["stream"])
        self.sessions[sid] = session

        @pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            task = asyncio.create_task(self._consume(track))
            session.tasks.append(task)

        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        await self._notify()
        return web.Response(
            status=201,
            body=pc.localDescription.sdp.encode(),
            content_type="application/sdp",
            headers={"Location": f"/whip/{session.stream_id}/{sid}"},
        )

    async def _delete(self, request: web.Request) -> web.StreamResponse:
        if (cut := await self._unless_cut()) is not None:
            return cut
        sid = request.match_info["session"]
        if sid not in self.sessions:
            return web.json_response({"message": "no such session"}, status=404)
        self.deleted.append(sid)
        await self._close(sid)
        return web.Response(status=204)

    # --- media ---

    async def _consume(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    self.counters.append(read_counter(frame.to_ndarray(format="bgr24")))
                else:
                    self.audio_frames += 1
                    self.audio_peak = max(self.audio_peak, int(np.abs(frame.to_ndarray()).max()))
                await self._notify()

    async def _close(self, sid: str) -> None:
        session = self.sessions.pop(sid, None)
        if session is None:
            return
        await session.pc.close()
        for task in session.tasks:
            task.cancel()
        await asyncio.gather(*session.tasks, return_exceptions=True)
        await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
