"""When the page detector is unsure, the citizen adjusts the four corners before rectification.

A scan (or the scan of a copy) captures a frame and finds the page in it; if the detector's
confidence is below the camera's ``ask_below`` and a :class:`CornerReviewer` is available
(the device's screen is serving), the citizen sees the frame with the detected quad and
drags the corners, asks for the page to be captured again (at most ``max_retakes`` times), or
keeps the whole photo. Without an answer within ``review_timeout_s`` the scan goes on as it
would have without a screen, and its result says so. The reviewer itself
(:class:`edge_agent.jobs.review_desk.ReviewDesk`) is what the screen app serves; the jobs
layer only knows this protocol, so a device without a screen scans exactly as before.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from edge_agent.drivers.camera_config import DocCameraConfig, ScanMode
from edge_agent.errors import AgentError

if TYPE_CHECKING:
    from edge_agent.drivers.doc_camera import Captured, CornersSource, Preview, ScanResult

log = logging.getLogger(__name__)

Point = tuple[float, float]
#: four points TL, TR, BR, BL in frame pixels (pixel centres: the frame spans -0.5 .. w-0.5)
Corners = tuple[Point, ...]
#: ``timeout``: nobody answered in time, or the agent is stopping
Action = Literal["confirm", "retake", "whole", "timeout"]


@dataclass(frozen=True, slots=True)
class Decision:
    """The citizen's answer. ``corners`` (frame pixels) only with ``confirm``."""

    action: Action
    corners: Corners | None = None
    #: why a ``timeout`` happened, for the operators' note
    why: str = ""


@dataclass(frozen=True, slots=True)
class ReviewRequest:
    """What the citizen is asked to check (one captured frame of one camera)."""

    camera_id: str
    preview_jpeg: bytes
    #: the preview's size in pixels and its scale (preview pixels per frame pixel)
    preview_size: tuple[int, int]
    scale: float
    frame_size: tuple[int, int]
    #: the detector's quad (or the whole frame), frame pixels
    corners: Corners
    confidence: float
    #: ``loop.time()`` after which the review is given up
    deadline: float
    can_retake: bool = True


class NotAsked(AgentError):
    """The citizen cannot be asked about this frame; the scan goes on without them."""


class ReviewBusy(NotAsked):
    """A review of this camera is already waiting for the citizen."""


class CornerReviewer(Protocol):
    """Asks the citizen about a page's corners (the screen's :class:`ReviewDesk`)."""

    @property
    def available(self) -> bool:
        """False while nobody can answer (the screen is not serving): do not ask."""
        ...

    async def review(self, request: ReviewRequest) -> Decision:
        """The citizen's decision, or ``timeout`` at ``request.deadline``; raises
        :class:`ReviewBusy` if this camera already has a review pending."""
        ...


@runtime_checkable
class ReviewableCamera(Protocol):
    """A document camera whose scan can stop between finding the page and rectifying it
    (``edge_agent.drivers.doc_camera.DocCamera``)."""

    cfg: DocCameraConfig

    @property
    def id(self) -> str: ...

    async def capture_page(self) -> Captured: ...

    async def finish(
        self,
        captured: Captured,
        mode: ScanMode | None = None,
        *,
        corners: Corners | None = None,
        source: CornersSource = "detected",
        note: str = "",
    ) -> ScanResult: ...

    async def preview(self, captured: Captured, max_side: int = ...) -> Preview: ...


def review_details(scan: object) -> dict[str, Any]:
    """Where a page's corners came from, for operators' job results (docs/kiosk-scan.md);
    a scanner that knows nothing of reviews adds nothing."""
    fields = {"corners_source": "corners_source", "corners_note": "note", "retakes": "retakes"}
    return {key: getattr(scan, attr) for key, attr in fields.items() if getattr(scan, attr, None)}


async def reviewed_scan(
    camera: ReviewableCamera, mode: ScanMode | None, reviewer: CornerReviewer | None
) -> ScanResult:
    """A scan that asks the citizen about the corners when the detector is unsure."""
    cfg = camera.cfg
    retakes = 0
    while True:
        captured = await camera.capture_page()
        if reviewer is None or not reviewer.available or not _unsure(captured, cfg):
            result = await camera.finish(captured, mode)
            return dataclasses.replace(result, retakes=retakes)
        try:
            decision = await _ask(camera, captured, reviewer, retakes < cfg.max_retakes)
        except NotAsked as err:
            log.warning("camera %s: not asking about the corners: %s", camera.id, err)
            result = await camera.finish(captured, mode)
            return dataclasses.replace(result, retakes=retakes)
        if decision.action == "retake" and retakes < cfg.max_retakes:
            retakes += 1
            continue
        result = await _apply(camera, captured, mode, decision)
        return dataclasses.replace(result, retakes=retakes)


def _unsure(captured: Captured, cfg: DocCameraConfig) -> bool:
    """Below ``ask_below``; ``ask_below = 1`` asks about every page (even a sure one)."""
    return captured.confidence < cfg.ask_below or cfg.ask_below >= 1.0


async def _ask(
    camera: ReviewableCamera, captured: Captured, reviewer: CornerReviewer, can_retake: bool
) -> Decision:
    try:
        preview = await camera.preview(captured)
    except Exception as err:  # a preview is a courtesy: never the reason a scan fails
        raise NotAsked(f"the preview could not be made ({err!r})") from err
    request = ReviewRequest(
        camera_id=camera.id,
        preview_jpeg=preview.jpeg,
        preview_size=preview.size,
        scale=preview.scale,
        frame_size=captured.frame_size,
        corners=captured.guess or captured.corners,
        confidence=captured.confidence,
        deadline=asyncio.get_running_loop().time() + camera.cfg.review_timeout_s,
        can_retake=can_retake,
    )
    return await reviewer.review(request)


async def _apply(
    camera: ReviewableCamera, captured: Captured, mode: ScanMode | None, decision: Decision
) -> ScanResult:
    if decision.action == "confirm" and decision.corners is not None:
        return await camera.finish(captured, mode, corners=decision.corners, source="citizen")
    if decision.action == "whole":
        return await camera.finish(captured, mode, source="whole_frame")
    why = decision.why or (
        f"the citizen did not answer the corner check within {camera.cfg.review_timeout_s:g} s"
    )
    used = (
        f"the detected page (confidence {captured.confidence:.2f}) was used"
        if captured.page_found
        else "no page was found with enough confidence, so the whole frame was used"
    )
    return await camera.finish(captured, mode, source="timeout", note=f"{why}; {used}")
