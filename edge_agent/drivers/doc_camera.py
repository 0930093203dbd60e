"""The document camera (高拍仪) driver: a UVC camera looking down at a page.

``scan()`` is capture → find the page → 矫正 / 裁边 / deskew / flatten lighting → JPEG + PDF,
returned as a :class:`ScanResult` whose ``sha256`` names the JPEG (the blob that travels
over HTTP, never over MQTT). Opening the device (or a registered *frame source*, e.g. the
simulator's ``synthetic:...``, so the same driver runs in CI without a camera), reading with
retries and the error family are shared with the A/V camera in :mod:`edge_agent.drivers.video`.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
    "DocCamera",
    "DocCameraConfig",
    "FrameSource",
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
            return await asyncio.to_thread(self._capture_blocking)

    async def scan(self, mode: ScanMode | None = None) -> ScanResult:
        """Capture and process one page in ``mode`` (default: the configured one), so one
        camera serves both a photo of a certificate and a text form. Raises a
        :class:`VideoError`."""
        t0 = time.perf_counter()
        try:
            frame = await self.capture()
            captured = (time.perf_counter() - t0) * 1000
            result = await asyncio.to_thread(self._process, frame, mode or self.cfg.mode)
        except VideoError as err:
            self.tally[f"errors.{err.reason}"] += 1
            raise
        self.tally["scans"] += 1
        self.tally[f"scans.{result.mode}"] += 1
        result.timings_ms["capture"] = round(captured, 1)
        return result

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


#: what the driver registry (``edge_agent.peripherals.registry``) reads of this module
DRIVER = DriverSpec(
    types=("doc_camera_uvc",), kind="doc_camera", config=DocCameraConfig, peripheral=DocCamera
)
