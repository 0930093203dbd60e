"""Shared pieces of the corner-review tests: a document camera on the synthetic frame source
whose true page corners are known, and a stand-in citizen answering the review desk."""

from __future__ import annotations

import asyncio
from typing import Any

from edge_agent.drivers.doc_camera import DocCamera, DocCameraConfig
from edge_agent.jobs.corner_review import Corners, Decision, ReviewRequest
from edge_agent.jobs.review_desk import PendingReview, ReviewDesk
from simulators.doc_camera import SyntheticFrameSource

SIZE = (1600, 900)  # previewed at 1280x720: scale 0.8
TIMEOUT = 15.0


def camera(source: SyntheticFrameSource | None = None, **cfg: Any) -> DocCamera:
    values: dict[str, Any] = {
        "type": "doc_camera_uvc",
        "id": "doccam",
        "device": "synthetic:",
        "width": SIZE[0],
        "height": SIZE[1],
        "warmup_frames": 0,
        "flush_frames": 0,
        "ask_below": 1.0,  # always ask: the tests are about asking
    }
    config = DocCameraConfig.model_validate(values | cfg)
    return DocCamera(config, source or SyntheticFrameSource("plain_desk", seed=4, size=SIZE))


def request(
    camera_id: str = "doccam", *, seconds: float = 30.0, can_retake: bool = True
) -> ReviewRequest:
    """A review of a 1280x720 frame shown as a 640x360 preview."""
    quad: Corners = ((100.0, 80.0), (1100.0, 90.0), (1120.0, 650.0), (90.0, 640.0))
    return ReviewRequest(
        camera_id=camera_id,
        preview_jpeg=b"\xff\xd8\xff preview",
        preview_size=(640, 360),
        scale=0.5,
        frame_size=SIZE,
        corners=quad,
        confidence=0.21,
        deadline=asyncio.get_running_loop().time() + seconds,
        can_retake=can_retake,
    )


async def pending(desk: ReviewDesk, seen: str = "") -> PendingReview:
    """The next review the screen would show (long-polled, as the screen does)."""
    showing = seen
    async with asyncio.timeout(TIMEOUT):
        while True:
            current = await desk.wait_change(showing, 5.0)
            if current is not None and current.id != seen:
                return current
            showing = current.id if current else ""


async def answer(
    desk: ReviewDesk, action: str, corners: list[list[float]] | None = None, seen: str = ""
) -> Decision:
    """Wait for a review and answer it as a citizen would."""
    review = await pending(desk, seen)
    return desk.decide(review.id, action, corners)


def to_preview(points: Corners | Any, scale: float) -> list[list[float]]:
    """Frame pixel centres → preview pixels with edges at 0 (what the screen speaks)."""
    return [[(float(x) + 0.5) * scale, (float(y) + 0.5) * scale] for x, y in points]
