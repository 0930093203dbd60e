"""CPU of Janus per extra viewer of one stream (issue 16's target: ≤ 5 % of a core per extra
viewer), through the cloud's Janus backend.

A real Janus in a private network namespace (tests/janus_kit.py), one aiortc publisher
(640×480 at 15 fps, VP8 + Opus, as a kiosk's camera) and 0, 1, 2, 4 ... aiortc WHEP viewers;
Janus's own CPU (utime + stime of its process from /proc) is read over a window at each
viewer count. The viewers decode in this process, which the figure does not include. Root
only. ``python -m benchmarks.media_janus --viewers 0,1,2,4 --window 10``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import VideoFrame
from pydantic import SecretStr

from cloud.media.backend import StreamInfo
from cloud.media.janus import JanusBackend
from cloud.settings_janus import JanusSettings
from protocols.ice_hosts import restrict_ice_hosts
from tests import janus_kit
from tests.media_janus import peers

FPS = 15
STREAM = StreamInfo("mon-bench-01", "monitor", "bench-01", "/bench")


class CameraTrack(VideoStreamTrack):
    """640×480 at 15 fps with a moving bar, so VP8 has real work (not a flat frame)."""

    def __init__(self) -> None:
        super().__init__()
        self._n = 0
        self._start = time.monotonic()
        self._base = np.random.default_rng(1).integers(0, 255, (480, 640, 3), dtype=np.uint8)

    async def recv(self) -> VideoFrame:
        self._n += 1
        await asyncio.sleep(max(0.0, self._start + self._n / FPS - time.monotonic()))
        img = self._base.copy()
        x = (self._n * 8) % 600
        img[:, x : x + 40] = 255
        frame = VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts, frame.time_base = self._n * (90000 // FPS), Fraction(1, 90000)
        return frame


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drain(track: MediaStreamTrack) -> None:
    while True:
        await track.recv()


async def measure(janus: janus_kit.JanusServer, counts: list[int], window: float) -> None:
    settings = JanusSettings(
        janus_url=janus.url,
        janus_admin_url=janus.admin_url,
        janus_api_secret=SecretStr(janus.api_secret),
        janus_admin_secret=SecretStr(janus.admin_secret),
    )
    backend = JanusBackend(settings)
    await backend.start()
    pub = peers.peer()
    pub.addTrack(AudioStreamTrack())
    pub.addTrack(CameraTrack())
    await pub.setLocalDescription(await pub.createOffer())
    session = await backend.publish(STREAM, pub.localDescription.sdp)
    await peers.answer(pub, session.answer_sdp)
    viewers, drains = [], []
    results: list[tuple[int, float]] = []
    for count in counts:
        while len(viewers) < count:
            pc, tracks, offer = await peers.viewer_offer()
            watched = await backend.view(STREAM.stream_id, offer, f"bench-{len(viewers)}")
            await peers.answer(pc, watched.answer_sdp)
            video = await peers.video_of(tracks)
            await video.recv()  # media flows before the window opens
            drains.append(asyncio.create_task(drain(video)))
            viewers.append(pc)
        await asyncio.sleep(2)  # settle (keyframes, bitrate ramp)
        c0, t0 = cpu_seconds(janus.proc.pid), time.monotonic()
        await asyncio.sleep(window)
        used = cpu_seconds(janus.proc.pid) - c0
        results.append((count, 100 * used / (time.monotonic() - t0)))
        await backend._stats.read_once()
        print(f"viewers={count}: janus {results[-1][1]:.2f} % of a core", flush=True)
    [health] = backend.health()
    print(f"publisher bitrate into Janus ≈ {health.bitrate_kbps:.0f} kbit/s")
    if len(results) > 1:
        (n0, c0_), (n1, c1) = results[0], results[-1]
        print(f"per extra viewer: {(c1 - c0_) / (n1 - n0):.2f} % of a core (viewers {n0}→{n1})")
    print(f"load average at the end: {os.getloadavg()} on {os.cpu_count()} cores (shared)")
    for t in drains:
        t.cancel()
    await asyncio.gather(*(pc.close() for pc in viewers), pub.close())
    await backend.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--viewers", default="0,1,2,4")
    ap.add_argument("--window", type=float, default=10.0)
    args = ap.parse_args()
    if (lack := janus_kit.missing()) is not None:
        raise SystemExit(f"needs {lack}")
    counts = [int(c) for c in args.viewers.split(",")]
    janus = janus_kit.start_janus(Path(tempfile.mkdtemp(prefix="kfleet-janus-bench-")))
    try:
        restrict_ice_hosts([janus_kit.MEDIA_ADDRESS])
        with janus.inside():
            asyncio.run(measure(janus, counts, args.window))
    finally:
        janus.stop()


if __name__ == "__main__":
    main()
