"""The reviews waiting for the citizen: at most one per document camera, served by the screen.

A scan job hands :meth:`ReviewDesk.review` its request and waits; the screen app reads
:meth:`current` (long-polling :meth:`wait_change`), shows the frame and sends the citizen's
answer to :meth:`decide`. The job gets ``timeout`` at the request's deadline, when the agent
stops (:meth:`close`), and its review disappears from the screen when the job is cancelled.
The preview holds a citizen's document: it lives only in memory, only while pending.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge_agent.jobs.corner_review import Decision, NotAsked, ReviewBusy, ReviewRequest
from edge_agent.jobs.review_geometry import BadCorners, check_corners, to_frame, to_preview

ACTIONS = ("confirm", "retake", "whole")
#: a screen page that polled within this long is still there (it long-polls every ≤ 25 s)
WATCHED_S = 30.0


class UnknownReview(LookupError):
    """No such review is pending (answered, timed out, or never existed)."""


@dataclass(frozen=True, slots=True)
class PendingReview:
    id: str
    request: ReviewRequest
    answer: asyncio.Future[Decision]

    def describe(self, now: float) -> dict[str, Any]:
        """What the screen shows (preview pixels; no frame-sized numbers to convert)."""
        req = self.request
        return {
            "id": self.id,
            "camera": req.camera_id,
            "frame_url": f"/api/v1/screen/review/{self.id}/frame.jpg",
            "width": req.preview_size[0],
            "height": req.preview_size[1],
            "corners": to_preview(req.corners, req.scale),
            "confidence": round(req.confidence, 3),
            "seconds_left": max(0, round(req.deadline - now)),
            "can_retake": req.can_retake,
        }


class ReviewDesk:
    """The device's corner reviews (:class:`~edge_agent.jobs.corner_review.CornerReviewer`)."""

    def __init__(self, available: Callable[[], bool] = lambda: True) -> None:
        self._available = available
        self._pending: dict[str, PendingReview] = {}  # by camera, in arrival order
        self._changed = asyncio.Event()
        self._closed = False
        self._polls = 0  # long polls in flight
        self._last_poll = -WATCHED_S
        self.watching = asyncio.Event()
        """Set once a screen page has asked for reviews (tests wait on it)."""

    @property
    def available(self) -> bool:
        return not self._closed and self._available()

    @property
    def watched(self) -> bool:
        """A screen page is polling for reviews (one is open, or polled a moment ago): asking
        makes sense. Nobody asks a kiosk whose browser is not showing the page."""
        return self._polls > 0 or time.monotonic() - self._last_poll < WATCHED_S

    async def review(self, request: ReviewRequest) -> Decision:
        if self._closed:  # stopping: closed after the scan saw it available
            raise NotAsked("the review desk is closed (the agent is stopping)")
        if request.camera_id in self._pending:
            raise ReviewBusy(f"camera {request.camera_id} already has a corner review pending")
        loop = asyncio.get_running_loop()
        pending = PendingReview(secrets.token_urlsafe(9), request, loop.create_future())
        self._pending[request.camera_id] = pending
        self._notify()
        try:
            async with asyncio.timeout_at(request.deadline):
                return await asyncio.shield(pending.answer)
        except TimeoutError:
            return Decision("timeout")
        finally:
            if self._pending.get(request.camera_id) is pending:
                del self._pending[request.camera_id]
                self._notify()

    def current(self) -> PendingReview | None:
        """The review the screen shows: the oldest pending one."""
        return next(iter(self._pending.values()), None)

    def get(self, review_id: str) -> PendingReview:
        for pending in self._pending.values():
            if secrets.compare_digest(pending.id, review_id):
                return pending
        raise UnknownReview(
            f"no corner review {review_id!r} is pending (it was answered or timed out)"
        )

    def decide(self, review_id: str, action: object, corners: object = None) -> Decision:
        """Answer a pending review; raises :class:`UnknownReview`, or :class:`BadCorners`
        (the review stays pending for a better answer)."""
        pending = self.get(review_id)
        req = pending.request
        if action not in ACTIONS:
            raise BadCorners(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
        if action == "retake" and not req.can_retake:
            raise BadCorners(
                "the page was already captured again as often as allowed; "
                "confirm the corners or use the whole photo"
            )
        if action == "confirm":
            points = check_corners(corners, req.preview_size)
            decision = Decision("confirm", to_frame(points, req.scale))
        else:
            decision = Decision("retake" if action == "retake" else "whole")
        del self._pending[req.camera_id]
        if not pending.answer.done():
            pending.answer.set_result(decision)
        self._notify()
        return decision

    async def wait_change(self, seen: str, wait_s: float) -> PendingReview | None:
        """The current review, as soon as it is not ``seen`` (an id, or "" for none), or
        after ``wait_s`` seconds: the screen's long poll."""
        self.watching.set()
        self._polls += 1
        try:
            current = self.current()
            if (current.id if current else "") != seen or wait_s <= 0:
                return current
            changed = self._changed
            try:
                async with asyncio.timeout(wait_s):
                    await changed.wait()
            except TimeoutError:
                pass
            return self.current()
        finally:
            self._polls -= 1
            self._last_poll = time.monotonic()

    def open(self) -> None:
        """Ask again after :meth:`close` (the agent runs again)."""
        self._closed = False

    def close(self, why: str = "the agent was stopping") -> None:
        """Answer every pending review with ``timeout`` and ask nothing more."""
        self._closed = True
        for pending in list(self._pending.values()):
            if not pending.answer.done():
                pending.answer.set_result(Decision("timeout", why=why))
        self._pending.clear()
        self._notify()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
