"""Audio and video on the wire (issue 16): how the cloud starts and stops a device's camera +
microphone stream, and what the device says about it.

Media never travels over MQTT. The cloud asks the device's ``av_camera`` peripheral to
``stream_start`` (a peripheral call, :mod:`protocols.calls`) with a WHIP URL and a short-lived
bearer token; the device then publishes its tracks to that URL with WHIP (RFC 9725: ``POST``
an SDP offer → ``201`` + ``Location`` + the SDP answer; ``DELETE`` the ``Location`` to stop)
and keeps the stream up by itself (ICE restart or a new WHIP session with backoff) until
``stream_stop`` or the token's expiry. Each change of a stream's state is a ``stream`` event
(:class:`StreamData`) so the cloud can tell viewers why a picture stopped.

ICE servers are the cloud's to give: none by default, never a public STUN server.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

#: a stream id: ``mon-<device>`` (7x24 monitoring), ``call-<call>-kiosk`` / ``call-<call>-op``
#: (the two sides of a remote-help call); one topic-safe token, never a path
STREAM_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,95}$"
STREAM_ID_RE = re.compile(STREAM_ID_PATTERN)

#: a WHIP/WHEP URL: http(s) only, no space or control characters (C0, DEL, C1) — spelt out
#: rather than ``\s``, which JSON Schema (ECMA) and Python read differently (``\x85``)
_URL = r"^https?://[^ \x00-\x1f\x7f-\x9f]{1,500}$"
#: an ICE server URL (``stun:``/``turn:``/``turns:``)
_ICE_URL = r"^(stun|turn|turns):[^ \x00-\x1f\x7f-\x9f]{1,250}$"


IceUrl = Annotated[str, Field(pattern=_ICE_URL)]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IceServer(_Args):
    """One ICE server as RTCIceServer has it; credentials only for TURN."""

    urls: Annotated[list[IceUrl], Field(min_length=1, max_length=4)]
    username: Annotated[str, Field(max_length=128)] = ""
    credential: Annotated[str, Field(max_length=256)] = ""


class StreamStartArgs(_Args):
    """``av_camera`` / ``stream_start``: publish camera (+ microphone) to ``whip_url``.

    Idempotent per ``stream_id``: a second start of a live stream answers ``succeeded`` with
    the same session. The call succeeds once the WHIP ``201`` arrived (result
    :class:`StreamStarted`); a refused or unreachable WHIP endpoint fails the call with the
    endpoint's status and reason."""

    stream_id: Annotated[str, Field(pattern=STREAM_ID_PATTERN)]
    whip_url: Annotated[str, Field(pattern=_URL)]
    #: bearer token for the WHIP POST and DELETE; the cloud signs it for this stream only
    token: Annotated[str, Field(min_length=16, max_length=512)]
    ice_servers: Annotated[list[IceServer], Field(max_length=4)] = []
    audio: bool = True
    width: Annotated[int, Field(ge=160, le=1920)] = 640
    height: Annotated[int, Field(ge=120, le=1080)] = 480
    fps: Annotated[int, Field(ge=1, le=30)] = 15
    max_bitrate_kbps: Annotated[int, Field(ge=64, le=8000)] = 1000


class StreamStopArgs(_Args):
    """``av_camera`` / ``stream_stop``: end the stream (WHIP ``DELETE``); stopping a stream
    that is not running succeeds (the goal is reached)."""

    stream_id: Annotated[str, Field(pattern=STREAM_ID_PATTERN)]


class StreamStarted(BaseModel):
    """The ``result`` of a succeeded ``stream_start``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stream_id: str
    #: the WHIP session's ``Location`` as the device resolved it (absolute URL)
    session_url: str


class StreamState(StrEnum):
    """A device-side stream's state, as its ``stream`` events report it."""

    LIVE = "live"  # media flowing (ICE connected)
    RECONNECTING = "reconnecting"  # ICE failed or the endpoint went away; retrying with backoff
    ENDED = "ended"  # stopped (by ``stream_stop``, token expiry, or a camera that is gone)


class StreamData(BaseModel):
    """``data`` of a ``stream`` event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stream_id: Annotated[str, Field(pattern=STREAM_ID_PATTERN)]
    state: StreamState
    #: why, in English, for the operator: ``stopped``, ``camera unplugged``, ``token expired``,
    #: ``whip endpoint answered 404``, ``ice failed`` ...
    reason: Annotated[str, Field(max_length=200)] = ""
    #: reconnect attempts since the stream was last live
    attempt: Annotated[int, Field(ge=0, le=1_000_000)] = 0


#: which side of the media plane a WHIP/WHEP session is
SessionRole = Literal["publisher", "viewer"]


def monitor_stream_id(device_id: str) -> str:
    """The 7x24 monitoring stream of a device's camera."""
    return f"mon-{device_id}"


def call_stream_ids(call_id: str) -> tuple[str, str]:
    """The (kiosk side, operator side) streams of a remote-help call."""
    return f"call-{call_id}-kiosk", f"call-{call_id}-op"
