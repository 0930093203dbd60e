"""What both camera drivers share: opening a video device (or a registered source), reading
a frame with retries, letting a dead capture go, and one error family.

A camera is any ``cv2.VideoCapture`` device (an index such as ``0`` or a path such as
``/dev/v4l/by-id/...``) or a *frame source*: any object with ``read() -> (ok, frame)`` and
``release()`` (optionally ``isOpened()``), given to the driver or opened by a factory
registered under a name scheme (``synthetic:...``: the simulators', registered by
``kfleet demo`` and by tests; edge code never imports simulators).

Every call here blocks (OpenCV): drivers run them under their lock in the camera's own worker
thread (:class:`CameraThread`), not the shared pool. glibc gives each thread its own heap, so
frames read in whichever pool thread was free left tens of MB of freed frame buffers spread over
several heaps; one thread per camera reuses one heap, and after each health probe the freed
memory is handed back to the system (:func:`give_back_free_memory`). The capture stays open
(closing it would light a real camera's LED at every probe).
Hardware libraries (OpenCV, NumPy) are imported only when a camera is used.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from edge_agent.drivers.base import ConfiguredDriver
from edge_agent.drivers.camera_config import CameraConfig
from edge_agent.errors import AgentError
from protocols.messages import Health

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Frame = npt.NDArray[np.uint8]

__all__ = [
    "CameraThread",
    "CameraUnavailable",
    "CaptureFailed",
    "EncodeFailed",
    "FrameSource",
    "NoPageFound",
    "VideoCamera",
    "VideoDevice",
    "VideoError",
]

log = logging.getLogger(__name__)

#: reads in a row that may return nothing before the capture counts as failed
READ_TRIES = 3

T = TypeVar("T")


class VideoError(AgentError):
    """Root of the camera errors: ``reason`` plus a what/why/what-to-do sentence (what an
    operator reads on the console, so it names the device and the next step)."""

    reason = "camera_error"

    def __init__(self, what: str, why: str, todo: str) -> None:
        self.what, self.why, self.todo = what, why, todo
        super().__init__(f"{what}: {why}. {todo}")


class CameraUnavailable(VideoError):
    """The camera cannot be opened at all (unplugged, wrong index, busy, no permission)."""

    reason = "camera_unavailable"


class CaptureFailed(VideoError):
    """The camera opened but delivered no frame (USB reset, driver hiccup, source closed)."""

    reason = "capture_failed"


class NoPageFound(VideoError):
    """A frame was captured but no page was found on it and one was required."""

    reason = "no_page"


class EncodeFailed(VideoError):
    """The picture could not be encoded (out of memory, degenerate image)."""

    reason = "encode_failed"


class FrameSource(Protocol):
    """What a driver needs of a camera; ``cv2.VideoCapture`` is one."""

    def read(self) -> tuple[bool, Any]: ...

    def release(self) -> None: ...


#: opens a named source (``synthetic:lobby``); None when no factory has the name's scheme
NamedOpener = Callable[[str], FrameSource | None]


class VideoDevice:
    """One camera's capture: opened on first read, kept open, dropped when a read fails."""

    def __init__(
        self,
        label: str,
        device: int | str,
        size: tuple[int, int],
        *,
        fps: float | None = None,
        given: FrameSource | None = None,
        open_named: NamedOpener,
    ) -> None:
        self.label, self.device, self.size, self.fps = label, device, size, fps
        self._given, self._open_named = given, open_named
        self._cap: FrameSource | None = None
        #: False right after (re)opening: the caller may discard warm-up frames
        self.warm = False

    def open(self) -> FrameSource:
        if self._cap is not None:
            return self._cap
        cap = self._given if self._given is not None else self._open_new()
        is_open = getattr(cap, "isOpened", None)
        if callable(is_open) and not is_open():
            raise CameraUnavailable(
                f"{self.label}: device {self.device!r} did not open",
                "the source reports that it is closed (unplugged or switched off)",
                "Check that the camera (or simulator) is connected and running",
            )
        self._cap, self.warm = cap, False
        return cap

    def read(self) -> Frame:
        """The next BGR frame. Raises :class:`CameraUnavailable` or :class:`CaptureFailed`."""
        import numpy as np

        cap = self.open()
        for _attempt in range(READ_TRIES):
            ok, frame = cap.read()
            if ok and isinstance(frame, np.ndarray) and frame.size:
                return as_bgr(frame)
        self.drop(failed=True)
        raise CaptureFailed(
            f"{self.label}: no frame from device {self.device!r}",
            f"the camera opened but {READ_TRIES} reads in a row returned nothing",
            "Reseat the USB cable; the next call reopens the camera",
        )

    def drop(self, *, failed: bool) -> None:
        """Forget the open capture; release it unless it is a given source that just failed
        (that one cannot be reopened, so it is kept for the next attempt)."""
        cap, self._cap = self._cap, None
        if cap is None or (failed and cap is self._given):
            return
        try:
            cap.release()
        except Exception:  # releasing a dead camera may fail; it is gone either way
            log.debug("%s: release failed", self.label, exc_info=True)

    def _open_new(self) -> FrameSource:
        device = self.device
        scheme = device.split(":", 1)[0] if isinstance(device, str) and ":" in device else ""
        if not scheme:
            return self._open_video(device)
        try:
            cap = self._open_named(str(device))
        except Exception as err:
            raise CameraUnavailable(
                f"{self.label}: source {device!r} did not open",
                f"its factory failed: {err}",
                "Check the device name against the simulator's documentation",
            ) from err
        if cap is not None:
            return cap
        if scheme == "synthetic":
            raise CameraUnavailable(
                f"{self.label}: device {device!r} did not open",
                "no synthetic source is registered: the simulator is not loaded here",
                "Configure a real camera (`device` = an index or a /dev path), or run inside "
                "`kfleet demo`, which registers the simulator",
            )
        return self._open_video(device)

    def _open_video(self, device: int | str) -> FrameSource:
        import cv2  # hardware access stays inside the driver

        try:
            cap = cv2.VideoCapture(device)
            opened = cap.isOpened()
        except cv2.error as err:
            raise CameraUnavailable(
                f"{self.label}: video device {device!r} did not open",
                f"OpenCV refused it ({str(err).strip().splitlines()[-1]})",
                "Check the `device` setting: an index, a /dev path or a stream URL",
            ) from err
        if not opened:
            cap.release()
            raise CameraUnavailable(
                f"{self.label}: video device {device!r} did not open",
                "it does not exist, is unplugged, or is in use by another program",
                "Check the USB cable and `v4l2-ctl --list-devices`, then the `device` setting",
            )
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        if self.fps is not None:
            cap.set(cv2.CAP_PROP_FPS, self.fps)
        return cast(FrameSource, cap)


class VideoCamera(ConfiguredDriver):
    """What both camera drivers are as peripherals: one capture, one lock (every blocking
    call runs in a worker thread under it), counters, and a health probe that never raises."""

    cfg: CameraConfig

    def __init__(
        self,
        cfg: CameraConfig,
        source: FrameSource | None,
        *,
        label: str,
        fps: float | None = None,
    ) -> None:
        self.cfg = cfg
        size = (cfg.width, cfg.height)
        self._video = VideoDevice(
            label, cfg.device, size, fps=fps, given=source, open_named=self._open_named
        )
        self._lock = asyncio.Lock()
        #: every blocking call of this camera runs here (one heap for its frames)
        self._thread = CameraThread(label)
        #: what the driver did, by name (telemetry)
        self.tally: Counter[str] = Counter()

    def counters(self) -> Mapping[str, int]:
        return dict(self.tally)

    async def health(self) -> tuple[Health, str]:
        """(health, reason) from :meth:`_probe_blocking`: a camera that does not open or
        read is ``offline`` with a sentence that says why. Never raises."""
        try:
            async with self._lock:
                return await self._thread.run(self._probe_and_trim)
        except VideoError as err:  # open but blind is as useless as unplugged
            return Health.OFFLINE, str(err)[:1024]
        except Exception as err:  # a driver bug must not stop the health monitor
            log.exception("%s: health probe failed", self._video.label)
            return Health.UNKNOWN, f"health probe failed: {err!r}"[:1024]

    async def close(self) -> None:
        """Release the camera (a given source is released too)."""
        async with self._lock:
            await self._thread.run(self._video.drop, failed=False)
        self._thread.stop()

    def _probe_and_trim(self) -> tuple[Health, str]:
        try:
            return self._probe_blocking()
        finally:
            give_back_free_memory()

    def _probe_blocking(self) -> tuple[Health, str]:
        self._video.read()
        return Health.OK, ""

    def _open_named(self, name: str) -> FrameSource | None:
        """The registered source ``name`` names (``synthetic:...``), or None."""
        raise NotImplementedError


class CameraThread:
    """One worker thread for one camera's blocking calls, started on first use and stopped
    with the camera (a later call starts it again)."""

    def __init__(self, label: str) -> None:
        self._name = f"camera-{label}"[:15]
        self._pool: ThreadPoolExecutor | None = None

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._name)
        call = functools.partial(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def stop(self) -> None:
        """Let the thread end once its call in progress (if any) returns."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim = ctypes.CDLL(None).malloc_trim  # glibc only
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return cast("Callable[[int], int]", trim)


def give_back_free_memory() -> None:
    """Return freed heap memory to the system (glibc keeps it in the heap that freed it, so a
    frame's buffers stay counted in the process's RSS until the heap's top is reused).
    No-op without glibc."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def as_bgr(frame: npt.NDArray[Any]) -> Frame:
    """Any 8-bit-ish grey, BGR or BGRA frame as BGR uint8."""
    import cv2
    import numpy as np

    if frame.dtype != np.uint8:
        frame = np.clip(frame, 0, 255).astype(np.uint8)
    if frame.ndim == 2:
        return cast("Frame", cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    if frame.shape[2] == 4:
        return cast("Frame", cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR))
    return cast("Frame", frame)
