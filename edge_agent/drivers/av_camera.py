"""The camera + microphone driver (the hall/kiosk camera used for snapshots and video help).

``snapshot()`` reads one fresh frame and returns it as a :class:`Snapshot`: JPEG bytes named
by their sha256 (the blob travels over HTTP, never over MQTT), the frame size and the UTC
time it was captured. Opening the device (or a registered *A/V source*, e.g. the simulator's
``synthetic:...``), reading with retries and the error family are shared with the document
camera in :mod:`edge_agent.drivers.video`.

Every OpenCV call blocks, so each runs in the camera's own thread under one lock per camera.
The capture stays open between calls; a failed read closes it and the next call reopens it.
``health()`` never raises: a camera that does not open or read is ``offline``, one whose
consecutive frames are identical is ``degraded`` with the reason ``frozen image``.

Live streams (``edge_agent.av``) do not read the camera themselves: :meth:`AvCamera.live`
gives each stream a :class:`FrameFeed` on ONE reader task per camera (a camera opens once,
however many streams show it), so a stream's track takes the newest frame without blocking.
When the camera stops delivering, every feed learns why (``failure``), the health watcher is
woken, and the reader stops until a stream asks again. The microphone is the A/V source's
``read_audio`` (the simulator's) when it has one: :meth:`AvCamera.audio_reader`.

Hardware libraries (OpenCV, NumPy) are imported only when a camera is used, so importing
:class:`AvCameraConfig` stays cheap.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from edge_agent.drivers.base import DriverSpec
from edge_agent.drivers.camera_config import AvCameraConfig
from edge_agent.drivers.video import (
    CameraUnavailable,
    CaptureFailed,
    EncodeFailed,
    FrameSource,
    VideoCamera,
    VideoError,
)
from protocols.messages import Health

if TYPE_CHECKING:
    from edge_agent.drivers.video import Frame

__all__ = [
    "FROZEN_IMAGE",
    "AvCamera",
    "AvCameraConfig",
    "AvSource",
    "CameraUnavailable",
    "CaptureFailed",
    "EncodeFailed",
    "FrameFeed",
    "LiveFrame",
    "Snapshot",
    "VideoError",
    "register_av_source",
]

log = logging.getLogger(__name__)


#: the start of the ``degraded`` reason when consecutive frames are identical
FROZEN_IMAGE = "frozen image"
#: how long the last stream's leaving waits for the live reader's read in progress
READER_STOP_S = 5.0

AvSource = FrameSource


class SourceFactory(Protocol):
    def __call__(self, name: str, *, width: int, height: int, fps: float) -> AvSource: ...


_SOURCES: dict[str, SourceFactory] = {}


def register_av_source(scheme: str, factory: SourceFactory) -> None:
    """Make ``device = "<scheme>:..."`` open ``factory(device, width=, height=, fps=)``."""
    _SOURCES[scheme] = factory


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One still: the JPEG to upload and what the cloud should know about it."""

    jpeg: bytes
    width: int
    height: int
    sha256: str
    captured_at: datetime

    def as_result(self) -> dict[str, Any]:
        """The job ack's ``result`` (the JPEG itself goes over HTTP by sha256)."""
        return {
            "sha256": self.sha256,
            "jpeg_bytes": len(self.jpeg),
            "width": self.width,
            "height": self.height,
            "captured_at": self.captured_at.isoformat(),
        }


#: reads ``n`` mono int16 samples at 48 kHz from a microphone (raises ``OSError`` when gone)
AudioReader = Callable[[int], Any]


@dataclass(frozen=True, slots=True)
class LiveFrame:
    """One frame of the live feed: its number, the BGR image, when it was read (monotonic)."""

    seq: int
    image: Frame
    read_at: float


class FrameFeed:
    """One stream's view of the camera's live frames (see :meth:`AvCamera.live`)."""

    def __init__(self, camera: AvCamera, fps: float) -> None:
        self._camera, self.fps = camera, fps
        self.closed = False

    def latest(self) -> LiveFrame | None:
        """The newest frame read so far, without waiting (None before the first)."""
        return self._camera._latest

    @property
    def failure(self) -> VideoError | None:
        """Why the camera stopped delivering frames, or None while it delivers."""
        return self._camera._feed_error

    async def next(self, after: int, timeout_s: float) -> LiveFrame:
        """The first frame newer than ``after``; raises :attr:`failure` when the camera failed
        and ``TimeoutError`` when no frame came within ``timeout_s``."""
        async with asyncio.timeout(timeout_s):
            while True:
                if self.failure is not None:
                    raise self.failure
                frame = self.latest()
                if frame is not None and frame.seq > after:
                    return frame
                await self._camera._new_frame.wait()

    async def close(self) -> None:
        """This stream no longer needs frames (the reader stops after the last one)."""
        if not self.closed:
            self.closed = True
            await self._camera._unsubscribe(self)


class AvCamera(VideoCamera):
    """A camera + microphone as the agent uses it."""

    kind = "av_camera"
    cfg: AvCameraConfig

    def __init__(self, cfg: AvCameraConfig, source: AvSource | None = None) -> None:
        super().__init__(cfg, source, label=f"camera {cfg.id}", fps=cfg.fps)
        # tally: ``snapshots``, ``snapshot_errors``, ``live_frames``, ``live_failures``;
        # the streams add ``stream_sessions``, ``stream_reconnects``
        self._feeds: set[FrameFeed] = set()
        self._reader: asyncio.Task[None] | None = None
        self._latest: LiveFrame | None = None
        self._seq = 0  # frames read for streams (numbers never repeat, across readers)
        self._feed_error: VideoError | None = None
        self._new_frame = _Pulse()
        self._health_callbacks: list[Callable[[], None]] = []
        #: set while a stream has no microphone to send (health is then ``degraded``)
        self.microphone_problem = ""

    # --- live frames and sound for streams (edge_agent.av) ---

    def live(self, fps: float) -> FrameFeed:
        """A feed of live frames at up to ``fps`` (capped at the camera's own); starts the
        camera's one reader if it is not running (after a failure: tries the camera again)."""
        feed = FrameFeed(self, min(fps, self.cfg.fps))
        self._feeds.add(feed)
        if self._reader is None or self._reader.done():
            self._feed_error, self._latest = None, None
            self._reader = asyncio.create_task(self._read_live(), name=f"live-{self.id}")
        return feed

    async def audio_reader(self) -> AudioReader | None:
        """The source's microphone (``read_audio``), or None when it has none. Raises
        :class:`CameraUnavailable` when the camera cannot be opened at all."""
        async with self._lock:
            cap = await self._thread.run(self._video.open)
        read = getattr(cap, "read_audio", None)
        return read if callable(read) else None

    def on_health_change(self, callback: Callable[[], None]) -> None:
        """``HealthWatched``: called when the live reader finds the camera gone."""
        self._health_callbacks.append(callback)

    def health_may_have_changed(self) -> None:
        for callback in self._health_callbacks:
            callback()

    async def _read_reopening(self) -> Frame:
        """A frame; after a failed read the camera is reopened once (a USB reset that is
        over at once must not end the streams)."""
        for attempt in (1, 2):
            try:
                async with self._lock:
                    return await self._thread.run(self._video.read)
            except VideoError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _unsubscribe(self, feed: FrameFeed) -> None:
        self._feeds.discard(feed)
        if self._feeds or self._reader is None:
            return
        reader, self._reader = self._reader, None
        try:  # it stops after the read in progress (cancelling would leave that read running)
            async with asyncio.timeout(READER_STOP_S):
                await asyncio.shield(reader)
        except TimeoutError:
            reader.cancel()

    async def _read_live(self) -> None:
        """Read frames at the fastest feed's rate until no feed is left, the camera fails, or
        a newer reader took over (a stream started while the last one was leaving)."""
        me, due = asyncio.current_task(), time.monotonic()
        while self._feeds and self._reader is me:
            try:
                image = await self._read_reopening()
            except VideoError as err:
                if self._reader is not me:
                    return
                self.tally["live_failures"] += 1
                log.warning("camera %s: live frames stopped: %s", self.id, err)
                self._feed_error = err
                self._new_frame.fire()
                self.health_may_have_changed()
                return
            if self._reader is not me:
                return
            self._seq += 1
            self.tally["live_frames"] += 1
            self._latest = LiveFrame(self._seq, image, time.monotonic())
            self._new_frame.fire()
            due += 1 / max(f.fps for f in self._feeds) if self._feeds else 0
            now = time.monotonic()
            due = max(due, now)
            await asyncio.sleep(due - now)  # the frame period, not synchronisation

    async def read(self) -> Frame:
        """The next BGR frame. Raises :class:`CameraUnavailable` or :class:`CaptureFailed`."""
        async with self._lock:
            return await self._thread.run(self._video.read)

    async def snapshot(self) -> Snapshot:
        """One fresh frame as JPEG. Raises a :class:`VideoError`."""
        async with self._lock:
            try:
                snap = await self._thread.run(self._snapshot_blocking)
            except VideoError:
                self.tally["snapshot_errors"] += 1
                raise
        self.tally["snapshots"] += 1
        return snap

    # --- blocking parts, run in a worker thread ---

    def _open_named(self, name: str) -> AvSource | None:
        factory = _SOURCES.get(name.split(":", 1)[0])
        if factory is None:
            return None
        return factory(name, width=self.cfg.width, height=self.cfg.height, fps=self.cfg.fps)

    def _snapshot_blocking(self) -> Snapshot:
        import cv2

        for _ in range(self.cfg.flush_frames):
            self._video.read()
        frame = self._video.read()
        captured_at = datetime.now(UTC)
        why = "it returned no data"
        try:
            ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, self.cfg.jpeg_quality])
        except cv2.error as err:
            ok, buf, why = False, None, str(err).strip().splitlines()[-1]
        if not ok or buf is None:
            raise EncodeFailed(
                f"camera {self.id}: the snapshot could not be encoded",
                f"OpenCV's JPEG encoder failed ({why})",
                "Retry; if it persists, lower the camera resolution",
            )
        jpeg = bytes(buf)
        return Snapshot(
            jpeg=jpeg,
            width=int(frame.shape[1]),
            height=int(frame.shape[0]),
            sha256=hashlib.sha256(jpeg).hexdigest(),
            captured_at=captured_at,
        )

    def _probe_blocking(self) -> tuple[Health, str]:
        """Read two consecutive frames: identical ones mean a frozen picture (degraded); a
        stream without a microphone is degraded too."""
        import numpy as np

        first = self._video.read()
        second = self._video.read()
        if first.shape == second.shape and bool(np.array_equal(first, second)):
            return Health.DEGRADED, (
                f"{FROZEN_IMAGE}: camera {self.id} (device {self.cfg.device!r}) delivers "
                "identical consecutive frames, so its picture has stalled. "
                "Replug the camera; if it persists, restart the agent"
            )[:1024]
        if self.microphone_problem:
            return Health.DEGRADED, self.microphone_problem[:1024]
        return Health.OK, ""


class _Pulse:
    """Wakes everyone waiting at the moment it fires (a new frame, or the camera failed)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self) -> None:
        await self._event.wait()


#: what the driver registry (``edge_agent.peripherals.registry``) reads of this module
DRIVER = DriverSpec(
    types=("av_camera",), kind="av_camera", config=AvCameraConfig, peripheral=AvCamera
)
