"""The one interface every media backend offers (in-process aiortc relay, Janus).

The routes (``cloud/api/media.py``) check who may publish or view and then hand SDP to the
backend; the backend owns peer connections, fan-out and cleanup. A stream exists from its
publisher's first WHIP session until the last publisher session ends; viewers of a stream
that is not (yet) published are refused with :class:`StreamNotLive`, never left hanging.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from cloud.media.recorder import StreamRecorder

#: what a stream is for, from its id's prefix (``protocols.av``)
StreamPurpose = Literal["monitor", "call_kiosk", "call_operator", "other"]


class MediaError(Exception):
    """A media failure the route turns into a precise HTTP error."""

    status = 500
    code = "media_error"


class StreamNotLive(MediaError):
    """Nobody publishes this stream now (a viewer came first, or the publisher left)."""

    status = 404
    code = "stream_not_live"


class BadOffer(MediaError):
    """The SDP offer cannot be used (not SDP, no media section, no codec we share)."""

    status = 422
    code = "bad_offer"


class SessionNotFound(MediaError):
    """No such WHIP/WHEP session (already left, or never existed)."""

    status = 404
    code = "session_not_found"


class BackendUnavailable(MediaError):
    """The media backend cannot be reached (Janus down) or is shutting down."""

    status = 503
    code = "media_unavailable"


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """What the cloud knows of a stream before any media: who publishes it and where."""

    stream_id: str
    purpose: StreamPurpose
    #: the publishing device, or None for an operator's own camera
    device_id: str | None
    #: the site the stream belongs to (scoping of viewers); an operator stream takes its call's
    site_path: str


@dataclass(frozen=True, slots=True)
class Session:
    """A WHIP or WHEP session the backend accepted: its id (the ``Location``'s last segment)
    and the SDP answer to send back."""

    session_id: str
    answer_sdp: str


@dataclass(frozen=True, slots=True)
class StreamHealth:
    """A live stream as the console, telemetry and alerts see it."""

    info: StreamInfo
    state: Literal["live", "stalled"]
    started_at: datetime
    #: media received from the publisher, over the backend's last measuring window
    fps: float
    bitrate_kbps: float
    packet_loss_pct: float
    #: when the last video frame (or packet) arrived from the publisher
    last_media_at: datetime | None
    viewers: int
    has_audio: bool
    #: whether viewers get the publisher's packets as they are (no decode/re-encode)
    passthrough: bool


class MediaBackend(Protocol):
    """The media work behind WHIP/WHEP. Every method may raise a :class:`MediaError`."""

    name: str

    async def publish(self, stream: StreamInfo, offer_sdp: str) -> Session:
        """Accept a publisher's offer (WHIP). A second publisher of a live stream replaces the
        first (a device that reconnects must not be refused by its own stale session)."""
        ...

    async def view(self, stream_id: str, offer_sdp: str, viewer: str) -> Session:
        """Accept a viewer's offer (WHEP) for a live stream; ``viewer`` names who (audit)."""
        ...

    async def leave(self, stream_id: str, session_id: str) -> None:
        """End a publisher or viewer session (``DELETE`` of its ``Location``)."""
        ...

    def health(self) -> list[StreamHealth]:
        """Every live stream now."""
        ...

    async def close(self) -> None:
        """End every session (cloud shutdown)."""
        ...


@runtime_checkable
class Recordable(Protocol):
    """A backend that can hand a stream's encoded frames to a recorder (the aiortc relay in
    passthrough; Janus records with its own recorder, which this project does not drive)."""

    def record(self, stream_id: str, recorder: StreamRecorder) -> None: ...

    def stop_recording(self, stream_id: str) -> StreamRecorder | None: ...
