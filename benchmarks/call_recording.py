"""CPU of recording one side of a help call: VP8 + Opus frames (640×480 at 15 fps, 20 ms
audio; a 10 s clip looped) fed to :class:`cloud.media.recorder.StreamRecorder` as the relay
feeds it, muxed to WebM on the recorder's thread. Prints process CPU per second of media
(the frames are encoded before the clock starts: the relay never encodes).

    python -m benchmarks.call_recording --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from cloud.media.recorder import StreamRecorder

W, H, FPS = 640, 480, 15
#: ten times real time: fast enough to measure, slow enough that no frame is dropped
PACE_S = 1 / FPS / 10


def video(n: int) -> list[bytes]:
    enc = av.CodecContext.create("libvpx", "w")
    enc.width, enc.height, enc.pix_fmt = W, H, "yuv420p"
    enc.time_base, enc.framerate, enc.bit_rate = Fraction(1, 90000), FPS, 500_000
    rng = np.random.default_rng(7)
    base = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
    out: list[bytes] = []
    for i in range(n):
        picture = np.roll(base, i * 4, axis=1)  # a moving picture: real inter frames
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
        frame.pts, frame.time_base = i * 6000, Fraction(1, 90000)
        out += [bytes(p) for p in enc.encode(frame)]
    return out


def audio(n: int) -> list[bytes]:
    enc = av.CodecContext.create("libopus", "w")
    enc.sample_rate, enc.layout, enc.format = 48000, "stereo", "s16"
    enc.time_base = Fraction(1, 48000)
    tone = (np.sin(np.arange(960) * 2 * np.pi * 440 / 48000) * 8000).astype(np.int16)
    out: list[bytes] = []
    for i in range(n):
        frame = av.AudioFrame.from_ndarray(
            np.repeat(tone, 2)[None, :], format="s16", layout="stereo"
        )
        frame.sample_rate, frame.pts = 48000, i * 960
        out += [bytes(p) for p in enc.encode(frame)]
    return out


async def record(path: Path, frames: list[bytes], sounds: list[bytes]) -> tuple[float, int, int]:
    rec = StreamRecorder(path, 2**31)
    start = time.process_time()
    for i, payload in enumerate(frames):
        rec.feed("video", payload, i * 6000)
        for j in range(3):
            rec.feed("audio", sounds[(3 * i + j) % len(sounds)], (3 * i + j) * 960)
        await asyncio.sleep(PACE_S)  # frames come over time, not all at once
    result = await rec.stop()
    return time.process_time() - start, result.bytes, result.dropped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    clip = video(10 * FPS)  # ten seconds encoded once, looped (muxing cost is per frame)
    frames = [clip[i % len(clip)] for i in range(args.seconds * FPS)]
    sounds = audio(250)
    with tempfile.TemporaryDirectory() as tmp:
        cpu, size, dropped = asyncio.run(record(Path(tmp) / "side.webm", frames, sounds))
    media_kib = sum(map(len, frames)) / 1024
    print(f"{args.seconds} s of media ({media_kib:.0f} KiB video) → {size / 1024:.0f} KiB WebM")
    print(f"frames dropped: {dropped}")
    print(f"CPU {cpu * 1000:.0f} ms: {cpu / args.seconds * 100:.3f} % of a core per recorded side")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
