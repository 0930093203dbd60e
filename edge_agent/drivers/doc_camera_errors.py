"""Errors of the document-camera driver, one root so callers can catch the driver as a whole.

Every error carries a machine-readable ``reason`` (for acks, health and metrics) and a message
of three parts: what failed, why, and what to do about it. The message is what an operator
reads on the console, so it names the device and the next step, not a stack trace.
``DocCameraError`` derives from :class:`edge_agent.errors.AgentError` (itself an
``Exception``), so the agent's CLI maps it like every other agent error.
"""

from __future__ import annotations

from edge_agent.errors import AgentError

__all__ = [
    "CameraUnavailable",
    "CaptureFailed",
    "DocCameraError",
    "EncodeFailed",
    "NoPageFound",
]


class DocCameraError(AgentError):
    """Root of the document-camera errors: ``reason`` plus a what/why/what-to-do sentence."""

    reason = "doc_camera_error"

    def __init__(self, what: str, why: str, todo: str) -> None:
        self.what, self.why, self.todo = what, why, todo
        super().__init__(f"{what}: {why}. {todo}")


class CameraUnavailable(DocCameraError):
    """The camera cannot be opened at all (unplugged, wrong index, busy, no permission)."""

    reason = "camera_unavailable"


class CaptureFailed(DocCameraError):
    """The camera opened but delivered no frame (USB reset, driver hiccup, source closed)."""

    reason = "capture_failed"


class NoPageFound(DocCameraError):
    """A frame was captured but no page was found on it and one was required."""

    reason = "no_page"


class EncodeFailed(DocCameraError):
    """The page could not be encoded (out of memory, degenerate image)."""

    reason = "encode_failed"
