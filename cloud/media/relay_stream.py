"""One relayed stream: its publisher session, its viewers, the fan-out between them and the
figures its health reports.

In passthrough the publisher's encoded frames arrive through :func:`relay_track.tap_receiver`
and are pushed, unchanged, to each viewer's :class:`RelayTrack`; RTP timestamps are rebased
so a publisher that reconnects (a new session, a new clock) continues the viewers' timeline
instead of jumping back, and every viewer waits for the new publisher's first key frame. A
viewer's picture-loss request (PLI) is forwarded to the publisher, rate-limited, since only
the publisher can make a key frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiortc import RTCPeerConnection, RTCRtpReceiver
from aiortc.mediastreams import MediaStreamError

from cloud.media.backend import StreamHealth, StreamInfo
from cloud.media.relay_track import FrameSink, RelayTrack, packet, vp8_keyframe

log = logging.getLogger(__name__)

#: the smallest gap between two key-frame requests sent to a publisher
PLI_INTERVAL_S = 0.3
#: one frame's RTP clock ticks (15 fps video, 20 ms Opus): the step between two publishers
_STEP = {"video": 6000, "audio": 960}


@dataclass
class Publisher:
    """The publisher's WHIP session: its peer connection and its receivers by kind."""

    session_id: str
    pc: RTCPeerConnection
    receivers: dict[str, RTCRtpReceiver] = field(default_factory=dict)
    #: decode loops of the fallback (no passthrough)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


@dataclass
class Viewer:
    """One WHEP session: its peer connection and outbound tracks by kind."""

    session_id: str
    pc: RTCPeerConnection
    tracks: dict[str, RelayTrack]
    label: str
    #: monotonic time of its creation (it must connect within the relay's limit)
    created: float
    connected: bool = False


class _Rebase:
    """Maps each publisher's RTP timestamps onto one continuous timeline."""

    def __init__(self, step: int) -> None:
        self._step = step
        self._offset = 0
        self._last_out: int | None = None
        self._new_source = True

    def new_source(self) -> None:
        self._new_source = True

    def map(self, timestamp: int) -> int:
        if self._new_source:
            self._new_source = False
            self._offset = 0 if self._last_out is None else self._last_out + self._step - timestamp
        out = timestamp + self._offset
        self._last_out = out
        return out


@dataclass
class _Figures:
    """Counters since the last sample, and the figures the last sample computed."""

    frames: int = 0
    bytes: int = 0
    fps: float = 0.0
    bitrate_kbps: float = 0.0
    loss_pct: float = 0.0
    sampled_at: float = field(default_factory=time.monotonic)
    received: int = 0
    lost: int = 0


class RelayStream:
    """A stream from its first publisher session until it ends (see :class:`AiortcRelay`)."""

    def __init__(self, info: StreamInfo, passthrough: bool) -> None:
        self.info = info
        self.passthrough = passthrough
        self.started_at = datetime.now(UTC)
        self.created = time.monotonic()
        self.publisher: Publisher | None = None
        self.viewers: dict[str, Viewer] = {}
        self.has_audio = False
        #: monotonic time the last publisher left (the stream ends after the grace period)
        self.orphaned_since: float | None = None
        self.last_media_at: datetime | None = None
        self.last_media_mono: float | None = None
        self._rebase = {kind: _Rebase(step) for kind, step in _STEP.items()}
        self._figures = _Figures()
        self._last_pli = 0.0
        self._background: set[asyncio.Task[Any]] = set()
        #: a recorder's ``feed(kind, payload, timestamp)``: every encoded frame, rebased
        self.recorder: FrameSink | None = None

    # --- the publisher ------------------------------------------------------------------

    def attach(self, publisher: Publisher, has_audio: bool) -> Publisher | None:
        """Make ``publisher`` the stream's source; returns the one it replaces (to close)."""
        old, self.publisher = self.publisher, publisher
        self.orphaned_since = None
        self.has_audio = has_audio
        for rebase in self._rebase.values():
            rebase.new_source()
        for viewer in self.viewers.values():
            for track in viewer.tracks.values():
                track.wait_for_keyframe()
        return old

    def detach(self, session_id: str) -> Publisher | None:
        """The publisher session ``session_id`` ended; the stream waits for another."""
        if self.publisher is None or self.publisher.session_id != session_id:
            return None
        gone, self.publisher = self.publisher, None
        self.orphaned_since = time.monotonic()
        return gone

    def sink_for(self, session_id: str) -> Any:
        """The tap's frame sink for one publisher session (a replaced one's frames are
        dropped)."""

        def sink(kind: str, payload: bytes, timestamp: int) -> None:
            if self.publisher is not None and self.publisher.session_id == session_id:
                self.on_frame(kind, payload, timestamp)

        return sink

    def on_frame(self, kind: str, payload: bytes, timestamp: int) -> None:
        """One encoded frame from the publisher: count it and hand it to every viewer."""
        self._media(kind, len(payload))
        keyframe = kind == "video" and vp8_keyframe(payload)
        rebased = self._rebase[kind].map(timestamp)
        item = packet(payload, rebased, kind)
        if self.recorder is not None:
            self.recorder(kind, payload, rebased)
        for viewer in self.viewers.values():
            track = viewer.tracks.get(kind)
            if track is not None:
                track.push(item, keyframe)

    async def decode_loop(self, session_id: str, track: Any) -> None:
        """The fallback: decoded frames from the publisher's track to every viewer (each
        viewer's sender encodes them again)."""
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if self.publisher is None or self.publisher.session_id != session_id:
                return
            self._media(track.kind, 0)
            for viewer in self.viewers.values():
                out = viewer.tracks.get(track.kind)
                if out is not None:
                    out.push(frame, True)

    def _media(self, kind: str, size: int) -> None:
        if kind == "video":
            self._figures.frames += 1
            self.last_media_mono = time.monotonic()
            self.last_media_at = datetime.now(UTC)
        self._figures.bytes += size

    def request_keyframe(self) -> None:
        """Ask the publisher for a key frame (a viewer joined, lost a picture, or dropped)."""
        now = time.monotonic()
        if self.publisher is None or now - self._last_pli < PLI_INTERVAL_S:
            return
        receiver = self.publisher.receivers.get("video")
        if receiver is None:
            return
        self._last_pli = now
        for source in receiver.getSynchronizationSources():
            task = asyncio.ensure_future(receiver._send_rtcp_pli(source.source))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    # --- figures --------------------------------------------------------------------------

    async def sample(self) -> None:
        """Turn the counters since the last sample into fps, bitrate and loss."""
        fig = self._figures
        now = time.monotonic()
        span = max(now - fig.sampled_at, 1e-3)
        fig.fps = round(fig.frames / span, 1)
        fig.bitrate_kbps = round(fig.bytes * 8 / 1000 / span, 1)
        fig.frames = fig.bytes = 0
        fig.sampled_at = now
        received, lost = await self._rtp_counts()
        fresh_received, fresh_lost = received - fig.received, lost - fig.lost
        expected = fresh_received + fresh_lost
        fig.loss_pct = round(100 * max(fresh_lost, 0) / expected, 2) if expected > 0 else 0.0
        fig.received, fig.lost = received, lost
        if not self.passthrough and self.publisher is not None:
            fig.bytes = 0  # the fallback has no payload sizes; bitrate from transport below
            fig.bitrate_kbps = await self._transport_kbps(span)

    async def _rtp_counts(self) -> tuple[int, int]:
        if self.publisher is None:
            return self._figures.received, self._figures.lost
        received = lost = 0
        for receiver in self.publisher.receivers.values():
            with contextlib.suppress(Exception):  # a receiver closing under us: no figures
                for stat in (await receiver.getStats()).values():
                    if getattr(stat, "type", "") == "inbound-rtp":
                        received += int(stat.packetsReceived)
                        lost += int(stat.packetsLost)
        return received, lost

    async def _transport_kbps(self, span: float) -> float:
        assert self.publisher is not None
        total = 0
        for stat in (await self.publisher.pc.getStats()).values():
            if getattr(stat, "type", "") == "transport":
                total += int(getattr(stat, "bytesReceived", 0))
        previous = getattr(self, "_transport_bytes", total)
        self._transport_bytes = total
        return round(max(total - previous, 0) * 8 / 1000 / span, 1)

    def stalled(self, stall_s: float) -> bool:
        """No video from the publisher for ``stall_s`` (or none yet, that long after start)."""
        last = self.last_media_mono if self.last_media_mono is not None else self.created
        return time.monotonic() - last > stall_s

    def health(self, stall_s: float) -> StreamHealth:
        fig = self._figures
        return StreamHealth(
            info=self.info,
            state="stalled" if self.stalled(stall_s) else "live",
            started_at=self.started_at,
            fps=fig.fps,
            bitrate_kbps=fig.bitrate_kbps,
            packet_loss_pct=fig.loss_pct,
            last_media_at=self.last_media_at,
            viewers=len(self.viewers),
            has_audio=self.has_audio,
            passthrough=self.passthrough,
        )
