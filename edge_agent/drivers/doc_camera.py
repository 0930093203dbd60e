"""The document camera (高拍仪) driver: a UVC camera looking down at a page.

``scan()`` is capture → find the page → 矫正 / 裁边 / deskew / flatten lighting → JPEG + PDF,
returned as a :class:`ScanResult` whose ``sha256`` names the JPEG (the blob that travels
over HTTP, never over MQTT). Opening the device (or a registered *frame source*, e.g. the
simulator's ``synthetic:...``, so the same driver runs in CI without a camera), reading with
retries and the error family are shared with the A/V camera in :mod:`edge_agent.drivers.video`.

Every OpenCV call blocks, so each runs in the camera's own thread under one lock per camera.
The capture stays open between scans (opening a UVC camera and letting auto-exposure settle
takes about a second); a failed read closes it, and the next call reopens it. ``health()``
never raises: a camera that does not open is ``offline`` with a sentence that says why.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from edge_agent.drivers.base import DriverSpec
from edge_agent.drivers.camera_config import DocCameraConfig, ScanMode
from edge_agent.drivers.video import (
    EncodeFailed,
    FrameSource,
    NoPageFound,
    VideoCamera,
    VideoError,
)

__all__ = [
    "Captured",
    "Corners",
    "CornersSource",
    "DocCamera",
    "DocCameraConfig",
    "FrameSource",
    "Preview",
    "ScanMode",
    "ScanResult",
    "register_frame_source",
]

log = logging.getLogger(__name__)


Frame = npt.NDArray[np.uint8]


_SOURCES: dict[str, Callable[[str], FrameSource]] = {}


def register_frame_source(scheme: str, factory: Callable[[str], FrameSource]) -> None:
    """Make ``device = "<scheme>:..."`` open ``factory(device)`` instead of a camera."""
    _SOURCES[scheme] = factory


Point = tuple[float, float]
#: four points TL, TR, BR, BL in frame pixels
Corners = tuple[Point, ...]
#: where the corners a page was rectified with came from (told to operators in the result)
CornersSource = Literal["detected", "citizen", "whole_frame", "timeout"]
#: the long side of the preview the screen shows the citizen (pixels)
PREVIEW_SIDE = 1280


@dataclass(frozen=True, slots=True)
class Captured:
    """A frame and what the detector made of it, before it is rectified."""

    frame: Frame
    #: the detected page if at least ``min_confidence``, else the whole frame
    corners: Corners
    confidence: float
    page_found: bool
    #: the detector's best quad whatever its confidence (None: nothing page-like)
    guess: Corners | None
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def frame_size(self) -> tuple[int, int]:
        return int(self.frame.shape[1]), int(self.frame.shape[0])


@dataclass(frozen=True, slots=True)
class Preview:
    """A small JPEG of the captured frame for the screen; ``scale`` = preview / frame."""

    jpeg: bytes
    size: tuple[int, int]
    scale: float


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
    corners_source: CornersSource = "detected"
    #: a sentence for operators when the corners did not come the usual way (e.g. a timeout)
    note: str = ""
    #: how many times the citizen asked for the page to be captured again
    retakes: int = 0

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
            "corners_source": self.corners_source,
            **({"corners_note": self.note} if self.note else {}),
            **({"retakes": self.retakes} if self.retakes else {}),
        }


class DocCamera(VideoCamera):
    """A document camera as the agent uses it."""

    kind = "doc_camera"
    cfg: DocCameraConfig

    def __init__(self, cfg: DocCameraConfig, source: FrameSource | None = None) -> None:
        super().__init__(cfg, source, label=f"document camera {cfg.id}")
        # tally: ``scans``, ``scans.<mode>``, ``errors.<reason>``

    async def capture(self) -> Frame:
        """One fresh BGR frame. Raises :class:`CameraUnavailable` or :class:`CaptureFailed`."""
        async with self._lock:
            return await self._thread.run(self._capture_blocking)

    async def scan(self, mode: ScanMode | None = None) -> ScanResult:
        """Capture and process one page in ``mode`` (default: the configured one), so one
        camera serves both a photo of a certificate and a text form. Raises a
        :class:`VideoError`."""
        return await self.finish(await self.capture_page(), mode)

    async def capture_page(self) -> Captured:
        """Capture a frame and find the page in it, without rectifying (so the citizen can
        check the corners first). Raises a :class:`VideoError`."""
        t0 = time.perf_counter()
        try:
            frame = await self.capture()
            t1 = time.perf_counter()
            captured = await self._thread.run(self._detect, frame)
        except VideoError as err:
            self.tally[f"errors.{err.reason}"] += 1
            raise
        captured.timings_ms["capture"] = round((t1 - t0) * 1000, 1)
        return captured

    async def finish(
        self,
        captured: Captured,
        mode: ScanMode | None = None,
        *,
        corners: Corners | None = None,
        source: CornersSource = "detected",
        note: str = "",
    ) -> ScanResult:
        """Rectify a captured frame: with ``corners`` (frame pixels, e.g. the citizen's), or
        with the detected page, or the whole frame when ``source`` is ``whole_frame`` or no
        page was found. Raises a :class:`VideoError`."""
        try:
            result = await self._thread.run(
                self._process, captured, mode or self.cfg.mode, corners, source, note
            )
        except VideoError as err:
            self.tally[f"errors.{err.reason}"] += 1
            raise
        self.tally["scans"] += 1
        self.tally[f"scans.{result.mode}"] += 1
        self.tally[f"corners.{result.corners_source}"] += 1
        return result

    async def preview(self, captured: Captured, max_side: int = PREVIEW_SIDE) -> Preview:
        """The captured frame, scaled down to ``max_side`` and JPEG-encoded, for the screen."""
        return await self._thread.run(_preview, captured.frame, max_side, self.cfg.jpeg_quality)

    # --- blocking parts, run in a worker thread ---

    def _open_named(self, name: str) -> FrameSource | None:
        factory = _SOURCES.get(name.split(":", 1)[0])
        return None if factory is None else factory(name)

    def _capture_blocking(self) -> Frame:
        video = self._video
        video.open()
        skip = self.cfg.flush_frames if video.warm else self.cfg.warmup_frames
        for _ in range(skip):
            video.read()
        video.warm = True
        return video.read()

    def _detect(self, frame: Frame) -> Captured:
        from edge_agent.vision.page_detect import detect_page

        t0 = time.perf_counter()
        found = detect_page(frame)
        detect_ms = round((time.perf_counter() - t0) * 1000, 1)
        h, w = frame.shape[:2]
        if found is not None and found.confidence >= self.cfg.min_confidence:
            corners, page_found = _as_corners(found.corners), True
        else:
            corners, page_found = whole_frame(w, h), False
        confidence = 0.0 if found is None else float(found.confidence)
        guess = None if found is None else _as_corners(found.corners)
        return Captured(frame, corners, confidence, page_found, guess, {"detect": detect_ms})

    def _process(
        self,
        captured: Captured,
        mode: ScanMode,
        given: Corners | None,
        source: CornersSource,
        note: str,
    ) -> ScanResult:
        import cv2

        from edge_agent.vision.rectify import RectifyOptions, encode_jpeg, make_pdf, rectify

        frame = captured.frame
        h, w = frame.shape[:2]
        corners, page_found = self._corners_to_use(captured, given, source)
        opts = RectifyOptions(aspect=self.cfg.aspect, mode=mode)
        if not page_found:  # the whole frame, as it is: nothing to crop or straighten
            opts = RectifyOptions(aspect=w / h, mode=mode, crop=0.0, trim_desk=False, deskew=False)
        t1 = time.perf_counter()
        try:
            page = rectify(frame, np.array(corners, np.float64), opts)
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
        timings = {
            **captured.timings_ms,
            "rectify": round((t2 - t1) * 1000, 1),
            "encode": round((t3 - t2) * 1000, 1),
        }
        return ScanResult(
            jpeg=jpeg,
            pdf=pdf,
            corners=corners,
            confidence=captured.confidence,
            page_found=page_found,
            width=int(page.shape[1]),
            height=int(page.shape[0]),
            frame_size=(w, h),
            sha256=hashlib.sha256(jpeg).hexdigest(),
            timings_ms=timings,
            mode=mode,
            corners_source="whole_frame" if source == "detected" and not page_found else source,
            note=note,
        )

    def _corners_to_use(
        self, captured: Captured, given: Corners | None, source: CornersSource
    ) -> tuple[Corners, bool]:
        """(corners, page found): given ones, the whole frame, or what the detector found;
        no page where one is required raises :class:`NoPageFound`."""
        if given is not None:
            return given, True
        if source == "whole_frame":
            return whole_frame(*captured.frame_size), False
        if not captured.page_found and self.cfg.require_page:
            raise NoPageFound(
                f"document camera {self.id}: no page in view",
                "nothing page-shaped stands out from the desk"
                + (f" (best guess {captured.confidence:.2f} confident)" if captured.guess else ""),
                "Place the whole page under the camera, on a dark mat if the desk is white",
            )
        return captured.corners, captured.page_found


def whole_frame(w: int, h: int) -> Corners:
    """The frame's own corners (pixel edges), TL, TR, BR, BL."""
    return ((-0.5, -0.5), (w - 0.5, -0.5), (w - 0.5, h - 0.5), (-0.5, h - 0.5))


def _as_corners(points: npt.ArrayLike) -> Corners:
    pts = np.asarray(points, np.float64).reshape(4, 2)
    return tuple((float(x), float(y)) for x, y in pts)


def _preview(frame: Frame, max_side: int, quality: int) -> Preview:
    import cv2

    from edge_agent.vision.rectify import encode_jpeg

    h, w = frame.shape[:2]
    scale = min(1.0, max_side / max(w, h))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = frame if scale == 1.0 else cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    return Preview(encode_jpeg(np.ascontiguousarray(small), quality), size, scale)


#: what the driver registry (``edge_agent.peripherals.registry``) reads of this module
DRIVER = DriverSpec(
    types=("doc_camera_uvc",), kind="doc_camera", config=DocCameraConfig, peripheral=DocCamera
)
