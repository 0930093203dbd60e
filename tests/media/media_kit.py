"""aiortc publishers and viewers for the relay's tests (loopback only).

The publisher burns a frame counter into each picture (the brightness of the top-left block,
one of eight levels) so a viewer can prove that the frames it decodes move; the viewer keeps
the levels it read, and an event per new level so tests await progress instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiortc import (
    AudioStreamTrack,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from protocols.ice_hosts import restrict_ice_hosts

LEVELS = 8
WIDTH, HEIGHT = 320, 240


def loopback_only() -> None:
    """Every peer connection of this process offers 127.0.0.1 only."""
    restrict_ice_hosts(["127.0.0.1"])


def level_of(n: int) -> int:
    return 24 + 28 * (n % LEVELS)


class CountingTrack(VideoStreamTrack):
    """Frames whose top-left 64×64 block is as bright as the frame's number says."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        picture = np.full((HEIGHT, WIDTH, 3), 128, dtype=np.uint8)
        picture[:64, :64, :] = level_of(self.count)
        self.count += 1
        frame = VideoFrame.from_ndarray(picture, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


def read_level(frame: VideoFrame) -> int:
    """The counter level a decoded frame shows (nearest of the eight)."""
    gray = frame.to_ndarray(format="gray")
    value = float(gray[16:48, 16:48].mean())
    return min(range(LEVELS), key=lambda k: abs(level_of(k) - value))


@dataclass
class Publisher:
    pc: RTCPeerConnection
    video: CountingTrack
    offer_sdp: str


async def publisher(audio: bool = True) -> Publisher:
    """A publisher's peer connection with its offer ready (ICE gathered)."""
    pc = RTCPeerConnection()
    video = CountingTrack()
    pc.addTransceiver(video, direction="sendonly")
    if audio:
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    return Publisher(pc, video, pc.localDescription.sdp)


async def accept(pc: RTCPeerConnection, answer_sdp: str) -> None:
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))


@dataclass
class Viewer:
    """A WHEP viewer: decoded video frames' counter levels and audio frames received."""

    pc: RTCPeerConnection
    offer_sdp: str
    levels: list[int] = field(default_factory=list)
    audio_frames: int = 0
    progress: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def until_levels(self, distinct: int, timeout_s: float = 30.0) -> None:
        """Wait until ``distinct`` different counter levels were decoded."""
        async with asyncio.timeout(timeout_s):
            while len(set(self.levels)) < distinct:
                self.progress.clear()
                await self.progress.wait()

    async def until_audio(self, frames: int = 1, timeout_s: float = 30.0) -> None:
        """Wait until ``frames`` audio frames were decoded (audio may start after video)."""
        async with asyncio.timeout(timeout_s):
            while self.audio_frames < frames:
                self.progress.clear()
                await self.progress.wait()

    async def until_more_frames(self, more: int, timeout_s: float = 30.0) -> None:
        target = len(self.levels) + more
        async with asyncio.timeout(timeout_s):
            while len(self.levels) < target:
                self.progress.clear()
                await self.progress.wait()

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.pc.close()


async def viewer(audio: bool = True) -> Viewer:
    """A viewer's peer connection offering to receive video (and audio)."""
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    if audio:
        pc.addTransceiver("audio", direction="recvonly")
    out = Viewer(pc, "")

    @pc.on("track")
    def on_track(track: Any) -> None:
        out.tasks.append(asyncio.ensure_future(_consume(out, track)))

    await pc.setLocalDescription(await pc.createOffer())
    out.offer_sdp = pc.localDescription.sdp
    return out


async def _consume(out: Viewer, track: Any) -> None:
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        if track.kind == "video":
            out.levels.append(read_level(frame))
        else:
            out.audio_frames += 1
        out.progress.set()


@contextlib.asynccontextmanager
async def closing(*pcs: Any) -> AsyncIterator[None]:
    try:
        yield
    finally:
        for pc in pcs:
            with contextlib.suppress(Exception):
                await pc.close()


async def publisher_offer(audio: bool = True) -> str:
    """A publisher's offer only (its peer connection closed at once)."""
    pub = await publisher(audio)
    await pub.pc.close()
    return pub.offer_sdp


async def viewer_offer() -> str:
    """A viewer's offer only (its peer connection closed at once)."""
    v = await viewer()
    await v.close()
    return v.offer_sdp


async def until_state(pc: RTCPeerConnection, *states: str, timeout_s: float = 20.0) -> None:
    """Wait for ``pc``'s connection state to become one of ``states``."""
    reached = asyncio.Event()

    @pc.on("connectionstatechange")
    def changed() -> None:
        if pc.connectionState in states:
            reached.set()

    if pc.connectionState not in states:
        async with asyncio.timeout(timeout_s):
            await reached.wait()
