"""The camera + microphone driver (the hall/kiosk camera used for snapshots and video help).

``snapshot()`` reads one fresh frame and returns it as a :class:`Snapshot`: JPEG bytes named
by their sha256 (the blob travels over HTTP, never over MQTT), the frame size and the UTC
time it was captured. Opening the device (or a registered *A/V source*, e.g. the simulator's
``synthetic:...``), reading with retries and the error family are shared with the document
camera in :mod:`edge_agent.drivers.video`.

Every OpenCV call blocks, so each runs in ``asyncio.to_thread`` under one lock per camera.
The capture stays open between calls; a failed read closes it and the next call reopens it.
``health()`` never raises: a camera that does not open or read is ``offline``, one whose
consecutive frames are identical is ``degraded`` with the reason ``frozen image``.

Hardware libraries (OpenCV, NumPy) are imported only when a camera is used, so importing
:class:`AvCameraConfig` stays cheap. Media tracks (aiortc) will build on :meth:`AvCamera.read`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
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
    "Snapshot",
    "VideoError",
    "register_av_source",
]

log = logging.getLogger(__name__)


#: the start of the ``degraded`` reason when consecutive frames are identical
FROZEN_IMAGE = "frozen image"

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


class AvCamera(VideoCamera):
    """A camera + microphone as the agent uses it."""

    kind = "av_camera"
    cfg: AvCameraConfig

    def __init__(self, cfg: AvCameraConfig, source: AvSource | None = None) -> None:
        super().__init__(cfg, source, label=f"camera {cfg.id}", fps=cfg.fps)
        # tally: ``snapshots``, ``snapshot_errors``

    async def read(self) -> Frame:
        """The next BGR frame. Raises :class:`CameraUnavailable` or :class:`CaptureFailed`."""
        async with self._lock:
            return await asyncio.to_thread(self._video.read)

    async def snapshot(self) -> Snapshot:
        """One fresh frame as JPEG. Raises a :class:`VideoError`."""
        async with self._lock:
            try:
                snap = await asyncio.to_thread(self._snapshot_blocking)
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
        """Read two consecutive frames: identical ones mean a frozen picture (degraded)."""
        import numpy as np

        first = self._video.read()
        second = self._video.read()
        if first.shape == second.shape and bool(np.array_equal(first, second)):
            return Health.DEGRADED, (
                f"{FROZEN_IMAGE}: camera {self.id} (device {self.cfg.device!r}) delivers "
                "identical consecutive frames, so its picture has stalled. "
                "Replug the camera; if it persists, restart the agent"
            )[:1024]
        return Health.OK, ""


#: what the driver registry (``edge_agent.peripherals.registry``) reads of this module
DRIVER = DriverSpec(
    types=("av_camera",), kind="av_camera", config=AvCameraConfig, peripheral=AvCamera
)
