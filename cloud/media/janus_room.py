"""VideoRoom's vocabulary as the Janus backend reads it: the plugin, its error codes, the
streams a ``joined``/``attached``/``updated`` event lists, and its refusals in the backend's
terms (:mod:`cloud.media.backend`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from cloud.media.backend import (
    BackendUnavailable,
    BadOffer,
    MediaError,
    StreamInfo,
    StreamNotLive,
)
from cloud.media.janus_client import JanusError, JsonDict

PLUGIN = "janus.plugin.videoroom"
#: VideoRoom's "room already exists" (another cloud process, or a restart, made it)
ROOM_EXISTS = 427


@dataclass
class ViewerLeg:
    """One WHEP session: its Janus subscriber handle."""

    session_id: str
    handle: int
    viewer: str
    #: (kind, the subscription's mid) of each stream Janus sends it
    mids: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class PublishedStream:
    """One live stream: its publisher's handle and feed, and its viewers."""

    info: StreamInfo
    session_id: str
    handle: int
    feed: int
    has_audio: bool
    started_at: datetime
    #: kind → the publisher's mid (what a viewer's ``switch`` names)
    mids: dict[str, str] = field(default_factory=dict)
    receiving: bool = True
    viewers: dict[str, ViewerLeg] = field(default_factory=dict)
    #: set when Janus says the publisher's peer connection is up (subscribers may join)
    ready: asyncio.Event = field(default_factory=asyncio.Event)


def all_inactive(event: JsonDict) -> bool:
    """Whether a subscriber's ``updated`` event says none of its streams is active."""
    data = event.get("plugindata", {}).get("data", {})
    streams = data.get("streams")
    if data.get("videoroom") != "updated" or not isinstance(streams, list):
        return False
    return not any(isinstance(st, dict) and st.get("active") for st in streams)


def mids_by_kind(streams: object) -> dict[str, str]:
    """kind → mid of the audio/video streams a VideoRoom ``joined``/``attached`` lists."""
    out: dict[str, str] = {}
    for st in streams if isinstance(streams, list) else []:
        if isinstance(st, dict) and st.get("type") in ("audio", "video") and "mid" in st:
            out.setdefault(str(st["type"]), str(st["mid"]))
    return out


def as_media_error(exc: Exception, what: str, stream_id: str = "") -> MediaError:
    """Janus's refusal in the backend's terms: an SDP it could not use is a bad offer, a
    vanished feed a stream that is not live, anything else Janus being unavailable."""
    if isinstance(exc, MediaError):
        return exc
    assert isinstance(exc, JanusError)
    if exc.code in (428, 426):  # no such feed / room: the publisher went meanwhile
        return StreamNotLive(f"stream {stream_id} is not published now")
    if exc.code in (465, 466, 439):  # JSEP/SDP errors, invalid element
        return BadOffer(f"Janus refused the offer: {exc.reason}")
    return BackendUnavailable(f"Janus refused to {what}: {exc}")
