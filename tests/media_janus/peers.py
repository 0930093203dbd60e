"""aiortc peers for the Janus tests: a publisher whose frames carry a moving grey level (so a
viewer can tell frames move through) and a WHEP-style viewer that offers recvonly."""

from __future__ import annotations

import asyncio

import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import VideoFrame

WIDTH, HEIGHT = 320, 240


class CountingTrack(VideoStreamTrack):
    """Flat frames whose grey level steps by 16 every 5 frames from ``base`` (six steps), so a
    viewer can tell that frames move and which publisher they come from."""

    def __init__(self, base: int = 16) -> None:
        super().__init__()
        self.base = base
        self.sent = 0
        #: cleared: the camera sends nothing (a stalled stream) until set again
        self.running = asyncio.Event()
        self.running.set()

    async def recv(self) -> VideoFrame:
        await self.running.wait()
        pts, time_base = await self.next_timestamp()
        level = self.base + 16 * ((self.sent // 5) % 6)
        frame = VideoFrame.from_ndarray(
            np.full((HEIGHT, WIDTH, 3), level, dtype=np.uint8), format="rgb24"
        )
        frame.pts, frame.time_base = pts, time_base
        self.sent += 1
        return frame


def peer() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


async def publisher_offer(
    audio: bool = True, base: int = 16
) -> tuple[RTCPeerConnection, CountingTrack, str]:
    pc = peer()
    if audio:
        pc.addTrack(AudioStreamTrack())
    track = CountingTrack(base)
    pc.addTrack(track)
    await pc.setLocalDescription(await pc.createOffer())
    return pc, track, pc.localDescription.sdp


async def viewer_offer(
    video_first: bool = False,
) -> tuple[RTCPeerConnection, asyncio.Queue[MediaStreamTrack], str]:
    """A WHEP viewer's offer (recvonly audio + video, in either order: players differ)."""
    pc = peer()
    tracks: asyncio.Queue[MediaStreamTrack] = asyncio.Queue()
    pc.on("track", tracks.put_nowait)
    for kind in ("video", "audio") if video_first else ("audio", "video"):
        pc.addTransceiver(kind, direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    return pc, tracks, pc.localDescription.sdp


async def answer(pc: RTCPeerConnection, sdp: str) -> None:
    await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))


async def video_of(tracks: asyncio.Queue[MediaStreamTrack]) -> MediaStreamTrack:
    while True:
        track = await asyncio.wait_for(tracks.get(), 10)
        if track.kind == "video":
            return track


async def levels_seen(track: MediaStreamTrack, frames: int) -> list[int]:
    """The mean luma of each of the next ``frames`` decoded frames."""
    seen = []
    for _ in range(frames):
        frame = await asyncio.wait_for(track.recv(), 10)
        assert isinstance(frame, VideoFrame)
        assert (frame.width, frame.height) == (WIDTH, HEIGHT)
        seen.append(int(frame.to_ndarray(format="gray").mean()))
    return seen
