"""The document camera (高拍仪) driver: a UVC camera looking down at a page.

``scan()`` is capture → find the page → 矫正 / 裁边 / deskew / flatten lighting → JPEG + PDF,
returned as a :class:`ScanResult` whose ``sha256`` names the JPEG (the blob that travels
over HTTP, never over MQTT). The camera is any ``cv2.VideoCapture`` device (an index such as
``0`` or a path such as ``/dev/v4l/by-id/...``), or a *frame source*: any object with
``read() -> (ok, frame)`` and ``release()``, given to the constructor or registered under a
name scheme (``synthetic:...`` is the simulator's, see ``simulators.doc_camera``), so the
same driver runs in CI without a camera.

Every OpenCV call blocks, so each runs in ``asyncio.to_thread`` under one lock per camera.
The capture stays open between scans (opening a UVC camera and letting auto-exposure settle
takes about a second); a failed read closes it, and the next call reopens it. ``health()``
never raises: a camera that does not open is ``offline`` with a sentence that says why.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

import numpy as np
import numpy.typing as npt

from edge_agent.drivers.config import DocCameraConfig
from edge_agent.drivers.doc_camera_errors import (
    CameraUnavailable,
    CaptureFailed,
    DocCameraError,
    EncodeFailed,
    NoPageFound,
)
from protocols.messages import Health

__all__ = [
    "DocCamera",
    "DocCameraConfig",
    "DocCameraError",
    "FrameSource",
    "ScanMode",
    "ScanResult",
    "register_frame_source",
]

log = logging.getLogger(__name__)

Frame = npt.NDArray[np.uint8]
#: ``color``; ``gray`` (one channel); ``document`` (grey, lighting evened out, binarised text)
ScanMode = Literal["color", "gray", "document"]


class FrameSource(Protocol):
    """What the driver needs of a camera; ``cv2.VideoCapture`` is one."""

    def read(self) -> tuple[bool, Any]: ...

    def release(self) -> None: ...


_SOURCES: dict[str, Callable[[str], FrameSource]] = {}


def register_frame_source(scheme: str, factory: Callable[[str], FrameSource]) -> None:
    """Make ``device = "<scheme>:..."`` open ``factory(device)`` instead of a camera."""
    _SOURCES[scheme] = factory


@dataclass(frozen=True, slots=True)
class ScanResult:
    """One scanned page: the bytes to upload and what the cloud should know about them."""

    jpeg: bytes
    pdf: bytes
    #: page corners in the captured frame, TL, TR, BR, BL (the frame's corners if no page)
    corners: tuple[tuple[float, float], ...]
    confidence: float
    page_found: bool
    width: int
    height: int
    frame_size: tuple[int, int]
    sha256: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    mode: ScanMode = "color"

    def as_result(self) -> dict[str, Any]:
        """The job ack's ``result`` (the blobs themselves go over HTTP by sha256)."""
        return {
            "sha256": self.sha256,
            "jpeg_bytes": len(self.jpeg),
            "pdf_sha256": hashlib.sha256(self.pdf).hexdigest(),
            "pdf_bytes": len(self.pdf),
            "width": self.width,
            "height": self.height,
            "page_found": self.page_found,
            "confidence": self.confidence,
            "corners": [list(c) for c in self.corners],
            "mode": self.mode,
        }


class DocCamera:
    """A document camera as the agent uses it."""

    kind = "doc_camera"

    def __init__(self, cfg: DocCameraConfig, source: FrameSource | None = None) -> None:
        self.cfg = cfg
        self._given = source
        self._cap: FrameSource | None = None
        self._warm = False
        self._lock = asyncio.Lock()
        #: ``scans``, ``scans.<mode>``, ``errors.<reason>`` (telemetry)
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

    async def capture(self) -> Frame:
        """One fresh BGR frame. Raises :class:`CameraUnavailable` or :class:`CaptureFailed`."""
        async with self._lock:
            return await asyncio.to_thread(self._capture_blocking)

    async def scan(self, mode: ScanMode | None = None) -> ScanResult:
        """Capture and process one page in ``mode`` (default: the configured one), so one
        camera serves both a photo of a certificate and a text form. Raises a
        :class:`DocCameraError`."""
        t0 = time.perf_counter()
        try:
            frame = await self.capture()
            captured = (time.perf_counter() - t0) * 1000
            result = await asyncio.to_thread(self._process, frame, mode or self.cfg.mode)
        except DocCameraError as err:
            self.counters[f"errors.{err.reason}"] += 1
            raise
        self.counters["scans"] += 1
        self.counters[f"scans.{result.mode}"] += 1
        result.timings_ms["capture"] = round(captured, 1)
        return result

    async def health(self) -> tuple[Health, str]:
        """(health, reason): open the camera if needed and read one frame. Never raises."""
        try:
            async with self._lock:
                await asyncio.to_thread(self._probe_blocking)
        except CameraUnavailable as err:
            return Health.OFFLINE, str(err)[:1024]
        except CaptureFailed as err:  # open but blind is as useless as unplugged
            return Health.OFFLINE, str(err)[:1024]
        except Exception as err:  # a driver bug must not stop the health monitor
            log.exception("document camera %s: health probe failed", self.id)
            return Health.UNKNOWN, f"health probe failed: {err!r}"[:1024]
        return Health.OK, ""

    async def close(self) -> None:
        """Release the camera (a given frame source is released too)."""
        async with self._lock:
            await asyncio.to_thread(self._drop, failed=False)

    # --- blocking parts, run in a worker thread ---

    def _open(self) -> FrameSource:
        if self._cap is not None:
            return self._cap
        device = self.cfg.device
        scheme = device.split(":", 1)[0] if isinstance(device, str) and ":" in device else ""
        if self._given is not None:
            cap = self._given
        elif scheme in _SOURCES:
            try:
                cap = _SOURCES[scheme](str(device))
            except Exception as err:
                raise CameraUnavailable(
                    f"document camera {self.id}: frame source {device!r} did not open",
                    f"its factory failed: {err}",
                    "Check the device name against the simulator's documentation",
                ) from err
        elif scheme == "synthetic":
            raise CameraUnavailable(
                f"document camera {self.id}: device {device!r} did not open",
                "no synthetic frame source is registered: the simulator is not loaded here",
                "Call simulators.doc_camera.register_with_driver() first, or use a real camera",
            )
        else:
            cap = self._open_video(device)
        is_open = getattr(cap, "isOpened", None)
        if callable(is_open) and not is_open():
            raise CameraUnavailable(
                f"document camera {self.id}: device {device!r} did not open",
                "the frame source reports that it is closed",
                "Check that the camera (or simulator) is connected and running",
            )
        self._cap, self._warm = cap, False
        return cap

    def _open_video(self, device: int | str) -> FrameSource:
        import cv2  # hardware access stays inside the driver

        try:
            cap = cv2.VideoCapture(device)
            opened = cap.isOpened()
        except cv2.error as err:
            raise CameraUnavailable(
                f"document camera {self.id}: video device {device!r} did not open",
                f"OpenCV refused it ({str(err).strip().splitlines()[-1]})",
                "Check the `device` setting: an index, a /dev path or a stream URL",
            ) from err
        if not opened:
            cap.release()
            raise CameraUnavailable(
                f"document camera {self.id}: video device {device!r} did not open",
                "it does not exist, is unplugged, or is in use by another program",
                "Check the USB cable and `v4l2-ctl --list-devices`, then the `device` setting",
            )
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.cfg.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.cfg.height)
        return cast(FrameSource, cap)

    def _read(self, cap: FrameSource) -> Frame:
        for _attempt in range(3):
            ok, frame = cap.read()
            if ok and isinstance(frame, np.ndarray) and frame.size:
                return _as_bgr(frame)
        self._drop(failed=True)
        raise CaptureFailed(
            f"document camera {self.id}: no frame from device {self.cfg.device!r}",
            "the camera opened but three reads in a row returned nothing",
            "Reseat the USB cable; the next scan reopens the camera",
        )

    def _capture_blocking(self) -> Frame:
        cap = self._open()
        skip = self.cfg.flush_frames if self._warm else self.cfg.warmup_frames
        for _ in range(skip):
            self._read(cap)
        self._warm = True
        return self._read(cap)

    def _probe_blocking(self) -> None:
        self._read(self._open())

    def _drop(self, *, failed: bool) -> None:
        """Forget the open capture; release it unless it is a given source that just failed
        (that one cannot be reopened, so it is kept for the next attempt)."""
        cap, self._cap = self._cap, None
        if cap is None or (failed and cap is self._given):
            return
        try:
            cap.release()
        except Exception:  # releasing a dead camera may fail; it is gone either way
            log.debug("document camera %s: release failed", self.id, exc_info=True)

    def _process(self, frame: Frame, mode: ScanMode) -> ScanResult:
        import cv2

        from edge_agent.vision.page_detect import detect_page
        from edge_agent.vision.rectify import RectifyOptions, encode_jpeg, make_pdf, rectify

        t0 = time.perf_counter()
        h, w = frame.shape[:2]
        found = detect_page(frame)
        t1 = time.perf_counter()
        if found is not None and found.confidence >= self.cfg.min_confidence:
            corners, confidence, page_found = found.corners, found.confidence, True
        elif self.cfg.require_page:
            raise NoPageFound(
                f"document camera {self.id}: no page in view",
                "nothing page-shaped stands out from the desk"
                + (f" (best guess {found.confidence:.2f} confident)" if found else ""),
                "Place the whole page under the camera, on a dark mat if the desk is white",
            )
        else:
            corners = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]])
            confidence, page_found = 0.0 if found is None else found.confidence, False
        opts = RectifyOptions(aspect=self.cfg.aspect, mode=mode)
        if not page_found:  # the whole frame, as it is: nothing to crop or straighten
            opts = RectifyOptions(aspect=w / h, mode=mode, crop=0.0, trim_desk=False, deskew=False)
        try:
            page = rectify(frame, corners, opts)
            t2 = time.perf_counter()
            jpeg = encode_jpeg(page, self.cfg.jpeg_quality)
            pdf = make_pdf(jpeg, page.shape[1], page.shape[0], grey=page.ndim == 2, title=self.id)
        except (cv2.error, ValueError, MemoryError) as err:
            raise EncodeFailed(
                f"document camera {self.id}: the scan could not be processed",
                str(err) or type(err).__name__,
                "Retry; if it persists, lower the camera resolution",
            ) from err
        t3 = time.perf_counter()
        return ScanResult(
            jpeg=jpeg,
            pdf=pdf,
            corners=tuple((float(x), float(y)) for x, y in corners),
            confidence=float(confidence),
            page_found=page_found,
            width=int(page.shape[1]),
            height=int(page.shape[0]),
            frame_size=(w, h),
            sha256=hashlib.sha256(jpeg).hexdigest(),
            timings_ms={
                "detect": round((t1 - t0) * 1000, 1),
                "rectify": round((t2 - t1) * 1000, 1),
                "encode": round((t3 - t2) * 1000, 1),
            },
            mode=mode,
        )


def _as_bgr(frame: npt.NDArray[Any]) -> Frame:
    import cv2

    if frame.dtype != np.uint8:
        frame = np.clip(frame, 0, 255).astype(np.uint8)
    if frame.ndim == 2:
        return cast(Frame, cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    if frame.shape[2] == 4:
        return cast(Frame, cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR))
    return cast(Frame, frame)
