"""What a live stream costs the agent: CPU of the publishing process per stream, 640×480 at
15 fps, VP8 + Opus, from the simulated camera + microphone, over WHIP on loopback.

The WHIP endpoint (aiortc, decoding every frame) runs as its own process, so its CPU is not
counted; this process is the agent's stream desk with one synthetic camera (read once
whatever the number of streams) and 1, 2 … N streams of it, each with its own peer connection
and encoder. After a warm-up, CPU (user + system, ``getrusage``) over the window, and the
frames the endpoint decoded in it.

    python -m benchmarks.agent_stream --seconds 20 --max-streams 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import time
from typing import Any

from edge_agent.av.settings import AvSettings
from edge_agent.av.streams import StreamDesk
from edge_agent.drivers.av_camera import AvCamera, AvCameraConfig
from protocols.av import StreamStartArgs
from protocols.ice_hosts import restrict_ice_hosts
from protocols.messages import EventBody
from simulators.av_source import SyntheticAvSource

TOKEN = "benchmark-publish-token-0123456789"
W, H, FPS = 640, 480, 15


async def serve(port: int) -> None:
    """The receiving end: a WHIP endpoint that decodes every frame; ``stats`` on stdin →
    one JSON line of counts on stdout."""
    from tests.agent.whip_kit import WhipEndpoint

    restrict_ice_hosts(["127.0.0.1"])
    endpoint = WhipEndpoint(TOKEN)
    endpoint.port = port
    await endpoint.start()
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        if line.strip() == "stats":
            counts = {"frames": len(endpoint.counters), "audio": endpoint.audio_frames}
            print(json.dumps(counts), flush=True)
    await endpoint.stop()


class Receiver:
    def __init__(self, port: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.agent_stream", "--serve", str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def stats(self) -> dict[str, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        return dict(json.loads(self.proc.stdout.readline()))

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def measure(n: int, port: int, receiver: Receiver, seconds: float) -> dict[str, Any]:
    """``n`` streams of one camera for ``seconds`` after a 5 s warm-up."""

    async def ignore(event: EventBody) -> None:
        return None

    cfg = AvCameraConfig(type="av_camera", id="cam", device="synthetic:bench", fps=FPS)
    camera = AvCamera(cfg, SyntheticAvSource(W, H, FPS, seed=1))
    desk = StreamDesk(AvSettings(max_streams=8, ice_host_addresses=["127.0.0.1"]), ignore)
    try:
        for i in range(n):
            sid = f"bench-{i}"
            url = f"http://127.0.0.1:{port}/whip/{sid}"
            args = StreamStartArgs(stream_id=sid, whip_url=url, token=TOKEN, fps=FPS)
            await desk.start(camera, args)
        await asyncio.sleep(5)  # warm-up: ICE, DTLS, the encoders' first keyframes
        before, cpu0, t0 = receiver.stats(), cpu_s(), time.monotonic()
        await asyncio.sleep(seconds)  # the measured window
        after, cpu1, t1 = receiver.stats(), cpu_s(), time.monotonic()
    finally:
        await desk.close()
        await camera.close()
    wall = t1 - t0
    return {
        "streams": n,
        "cpu_pct": 100 * (cpu1 - cpu0) / wall,
        "fps_each": (after["frames"] - before["frames"]) / wall / n,
        "audio_fps_each": (after["audio"] - before["audio"]) / wall / n,
    }


async def main(seconds: float, max_streams: int) -> None:
    from kfleet.world.net import free_port

    restrict_ice_hosts(["127.0.0.1"])
    port = free_port()
    receiver = Receiver(port)
    print(f"# agent stream CPU, {W}x{H}@{FPS} VP8 + Opus; Python {platform.python_version()}")
    print(f"# {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    print("# (the machine is shared: other engineers' builds and tests run beside this)")
    rows = []
    try:
        for n in range(1, max_streams + 1):
            row = await measure(n, port, receiver, seconds)
            rows.append(row)
            print(
                f"streams {n}: agent CPU {row['cpu_pct']:.1f} % of one core "
                f"({row['cpu_pct'] / n:.1f} % per stream), decoded {row['fps_each']:.1f} fps "
                f"and {row['audio_fps_each']:.0f} audio frames/s per stream",
                flush=True,
            )
    finally:
        receiver.close()
    if len(rows) > 1:
        extra = (rows[-1]["cpu_pct"] - rows[0]["cpu_pct"]) / (len(rows) - 1)
        print(f"each extra stream of the same camera: {extra:.1f} % of one core")
    print(f"# load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max-streams", type=int, default=2)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ns = parser.parse_args()
    if ns.serve:
        asyncio.run(serve(ns.serve))
    else:
        asyncio.run(main(ns.seconds, ns.max_streams))
