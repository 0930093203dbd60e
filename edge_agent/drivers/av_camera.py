"""The camera + microphone driver (the hall/kiosk camera used for snapshots and video help).

``snapshot()`` reads one fresh frame and returns it as a :class:`Snapshot`: JPEG bytes named
by their sha256 (the blob travels over HTTP, never over MQTT), the frame size and the UTC
time it was captured. The camera is any ``cv2.VideoCapture`` device (an index such as ``0``
or a path such as ``/dev/v4l/by-id/...``) or an *A/V source*: any object with
``read() -> (ok, frame)`` and ``release()`` (optionally ``isOpened()``), given to the
constructor or registered under a name scheme (``synthetic:...`` is the simulator's, see
``simulators.av_source``; edge code never imports simulators).

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
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from edge_agent.drivers.config import AvCameraConfig
from edge_agent.errors import AgentError
from protocols.messages import Health

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Frame = npt.NDArray[np.uint8]

__all__ = [
    "FROZEN_IMAGE",
    "AvCamera",
    "AvCameraConfig",
    "AvCameraError",
    "AvSource",
    "CameraUnavailable",
    "CaptureFailed",
    "EncodeFailed",
    "Snapshot",
    "register_av_source",
]

log = logging.getLogger(__name__)

#: the start of the ``degraded`` reason when consecutive frames are identical
FROZEN_IMAGE = "frozen image"


# --- errors ---------------------------------------------------------------------------------


class AvCameraError(AgentError):
    """Root of the camera errors: ``reason`` plus a what/why/what-to-do sentence."""

    reason = "av_camera_error"

    def __init__(self, what: str, why: str, todo: str) -> None:
        self.what, self.why, self.todo = what, why, todo
        super().__init__(f"{what}: {why}. {todo}")


class CameraUnavailable(AvCameraError):
    """The camera cannot be opened (unplugged, wrong index, busy, no permission)."""

    reason = "camera_unavailable"


class CaptureFailed(AvCameraError):
    """The camera opened but delivered no frame."""

    reason = "capture_failed"


class EncodeFailed(AvCameraError):
    """The frame could not be encoded as JPEG."""

    reason = "encode_failed"


# --- sources --------------------------------------------------------------------------------


class AvSource(Protocol):
    """What the driver needs of a camera; ``cv2.VideoCapture`` is one."""

    def read(self) -> tuple[bool, Any]: ...

    def release(self) -> None: ...


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


class AvCamera:
    """A camera + microphone as the agent uses it."""

    kind = "av_camera"

    def __init__(self, cfg: AvCameraConfig, source: AvSource | None = None) -> None:
        self.cfg = cfg
        self._given = source
        self._cap: AvSource | None = None
        self._lock = asyncio.Lock()
        #: ``snapshots``, ``snapshot_errors`` (telemetry)
        self.counters: Counter[str] = Counter()

    @property
    def id(self) -> str:
        return self.cfg.id

    @property
    def model(self) -> str:
        return self.cfg.model or self.cfg.type

    @property
    def capabilities(self) -> tuple[str, ...]:
        return tuple(self.cfg.capabilities)

    async def read(self) -> Frame:
        """The next BGR frame. Raises :class:`CameraUnavailable` or :class:`CaptureFailed`."""
        async with self._lock:
            return await asyncio.to_thread(self._read_blocking)

    async def snapshot(self) -> Snapshot:
        """One fresh frame as JPEG. Raises an :class:`AvCameraError`."""
        async with self._lock:
            try:
                snap = await asyncio.to_thread(self._snapshot_blocking)
            except AvCameraError:
                self.counters["snapshot_errors"] += 1
                raise
        self.counters["snapshots"] += 1
        return snap

    async def health(self) -> tuple[Health, str]:
        """(health, reason): read two frames and compare them. Never raises."""
        try:
            async with self._lock:
                frozen = await asyncio.to_thread(self._probe_blocking)
        except AvCameraError as err:
            return Health.OFFLINE, str(err)[:1024]
        except Exception as err:  # a driver bug must not stop the health monitor
            log.exception("camera %s: health probe failed", self.id)
            return Health.UNKNOWN, f"health probe failed: {err!r}"[:1024]
        if frozen:
            return Health.DEGRADED, (
                f"{FROZEN_IMAGE}: camera {self.id} (device {self.cfg.device!r}) delivers "
                "identical consecutive frames, so its picture has stalled. "
                "Replug the camera; if it persists, restart the agent"
            )[:1024]
        return Health.OK, ""

    async def close(self) -> None:
        """Release the camera (a given source is released too)."""
        async with self._lock:
            await asyncio.to_thread(self._drop, failed=False)

    # --- blocking parts, run in a worker thread ---

    def _open(self) -> AvSource:
        if self._cap is not None:
            return self._cap
        device = self.cfg.device
        scheme = device.split(":", 1)[0] if isinstance(device, str) and ":" in device else ""
        if self._given is not None:
            cap = self._given
        elif scheme in _SOURCES:
            try:
                cap = _SOURCES[scheme](
                    str(device), width=self.cfg.width, height=self.cfg.height, fps=self.cfg.fps
                )
            except Exception as err:
                raise CameraUnavailable(
                    f"camera {self.id}: source {device!r} did not open",
                    f"its factory failed: {err}",
                    "Check the device name against the simulator's documentation",
                ) from err
        elif scheme == "synthetic":
            raise CameraUnavailable(
                f"camera {self.id}: device {device!r} did not open",
                "no synthetic A/V source is registered: the simulator is not loaded here",
                "Call simulators.av_source.register_with_driver() first, or use a real camera",
            )
        else:
            cap = self._open_video(device)
        is_open = getattr(cap, "isOpened", None)
        if callable(is_open) and not is_open():
            raise CameraUnavailable(
                f"camera {self.id}: device {device!r} did not open",
                "the source reports that it is closed (unplugged or switched off)",
                "Check that the camera (or simulator) is connected and running",
            )
        self._cap = cap
        return cap

    def _open_video(self, device: int | str) -> AvSource:
        import cv2  # hardware access stays inside the driver

        try:
            cap = cv2.VideoCapture(device)
            opened = cap.isOpened()
        except cv2.error as err:
            raise CameraUnavailable(
                f"camera {self.id}: video device {device!r} did not open",
                f"OpenCV refused it ({str(err).strip().splitlines()[-1]})",
                "Check the `device` setting: an index, a /dev path or a stream URL",
            ) from err
        if not opened:
            cap.release()
            raise CameraUnavailable(
                f"camera {self.id}: video device {device!r} did not open",
                "it does not exist, is unplugged, or is in use by another program",
                "Check the USB cable and `v4l2-ctl --list-devices`, then the `device` setting",
            )
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.cfg.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.cfg.height)
        cap.set(cv2.CAP_PROP_FPS, self.cfg.fps)
        return cast(AvSource, cap)

    def _read_blocking(self) -> Frame:
        import numpy as np

        cap = self._open()
        for _attempt in range(3):
            ok, frame = cap.read()
            if ok and isinstance(frame, np.ndarray) and frame.size:
                return _as_bgr(frame)
        self._drop(failed=True)
        raise CaptureFailed(
            f"camera {self.id}: no frame from device {self.cfg.device!r}",
            "the camera opened but three reads in a row returned nothing",
            "Reseat the USB cable; the next call reopens the camera",
        )

    def _snapshot_blocking(self) -> Snapshot:
        import cv2

        for _ in range(self.cfg.flush_frames):
            self._read_blocking()
        frame = self._read_blocking()
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

    def _probe_blocking(self) -> bool:
        """Read two consecutive frames; True when they are identical (a frozen picture)."""
        import numpy as np

        first = self._read_blocking()
        second = self._read_blocking()
        return first.shape == second.shape and bool(np.array_equal(first, second))

    def _drop(self, *, failed: bool) -> None:
        """Forget the open capture; release it unless it is a given source that just failed
        (that one cannot be reopened, so it is kept for the next attempt)."""
        cap, self._cap = self._cap, None
        if cap is None or (failed and cap is self._given):
            return
        try:
            cap.release()
        except Exception:  # releasing a dead camera may fail; it is gone either way
            log.debug("camera %s: release failed", self.id, exc_info=True)


def _as_bgr(frame: npt.NDArray[Any]) -> Frame:
    import cv2
    import numpy as np

    if frame.dtype != np.uint8:
        frame = np.clip(frame, 0, 255).astype(np.uint8)
    if frame.ndim == 2:
        return cast("Frame", cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    if frame.shape[2] == 4:
        return cast("Frame", cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR))
    return cast("Frame", frame)
