"""Recording the short clip the face-verification service judges (docs/kiosk-elderly.md): frames
from the kiosk's own camera (the ``av_camera`` peripheral), paced at a few frames a second,
scaled down and written as an MJPEG AVI into the session's private directory. No face
detection or recognition runs here: the clip goes to the cloud as it is, and the caller
deletes the file once the answer has come back (:func:`clip_file`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from edge_agent.drivers.video import Frame

#: small enough that a clip of a few seconds fits a JSON body (≤ 1 MiB as base64)
FPS = 5
WIDTH, HEIGHT = 320, 240
JPEG_QUALITY = 70
#: a clip larger than this is written again at a lower quality, then with every other frame
#: (the cloud takes ≤ 1 MiB of JSON: the clip as base64 plus a little)
MAX_CLIP_BYTES = 700_000
LOW_QUALITY = 40
#: fewer frames than this and the service could not judge the actions
MIN_FRAMES = 10
MAX_SECONDS = 12


class FrameCamera(Protocol):
    async def read(self) -> Frame: ...


async def record(camera: FrameCamera, seconds: float, path: Path) -> int:
    """Record ``seconds`` (at most :data:`MAX_SECONDS`) into ``path``; the frame count.
    Raises the camera's ``VideoError`` when it cannot deliver frames."""
    seconds = min(seconds, MAX_SECONDS)
    loop = asyncio.get_running_loop()
    start = loop.time()
    frames: list[Any] = []
    for n in range(max(1, round(seconds * FPS))):
        due = start + n / FPS
        if (wait := due - loop.time()) > 0:
            await asyncio.sleep(wait)  # the camera's pace, not a synchronisation
        frames.append(await camera.read())
    await asyncio.to_thread(_write, frames, path, JPEG_QUALITY)
    quality = JPEG_QUALITY
    while _too_big(path) and (quality > LOW_QUALITY or len(frames) >= 2 * MIN_FRAMES):
        if quality > LOW_QUALITY:  # a detailed, noisy picture: lower the quality first
            quality = LOW_QUALITY
        else:
            frames = frames[::2]
        await asyncio.to_thread(_write, frames, path, quality)
    return len(frames)


def _too_big(path: Path) -> bool:
    return path.exists() and path.stat().st_size > MAX_CLIP_BYTES


def _write(frames: list[Any], path: Path, quality: int) -> None:
    import cv2

    fourcc = cv2.VideoWriter.fourcc(*"MJPG")
    writer = cv2.VideoWriter(str(path), fourcc, float(FPS), (WIDTH, HEIGHT))
    try:
        writer.set(cv2.VIDEOWRITER_PROP_QUALITY, quality)
        for frame in frames:
            writer.write(cv2.resize(frame, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA))
    finally:
        writer.release()


@contextlib.contextmanager
def clip_file(directory: Path) -> Iterator[Path]:
    """A private (0600) file for one clip, deleted on leaving, whatever happened."""
    path = directory / f"face-{os.urandom(6).hex()}.avi"
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
