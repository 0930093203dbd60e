"""The in-process media backend: an aiortc relay (WHIP in, WHEP out) in the cloud process.

One ``RTCPeerConnection`` per publisher session and one per viewer. Video is VP8 and audio
Opus on both sides (the codecs every WebRTC endpoint has), so viewers get the publisher's
encoded frames without decode or re-encode (:mod:`cloud.media.relay_track`). Peer connections
nobody ends are ended here: a viewer whose ICE fails (aioice's consent checks notice a viewer
that went away within about 30 s) or that never connects; a stream whose publisher left and
did not come back within the grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCSessionDescription,
)

from cloud.media.backend import (
    BackendUnavailable,
    BadOffer,
    MediaError,
    Session,
    SessionNotFound,
    StreamHealth,
    StreamInfo,
    StreamNotLive,
)
from cloud.media.recorder import StreamRecorder
from cloud.media.relay_stream import Publisher, RelayStream, Viewer
from cloud.media.relay_track import RelayTrack, tap_receiver

log = logging.getLogger(__name__)

#: the codecs both sides speak (passthrough needs one codec per kind end to end)
_CODECS = {"video": ("video/VP8", "video/rtx"), "audio": ("audio/opus",)}
#: how long one offer/answer may take (ICE gathering on the cloud's addresses included)
NEGOTIATE_S = 10.0


class TooManyViewers(MediaError):
    """The stream has as many viewers as the relay allows (``media_max_viewers``)."""

    status = 409
    code = "too_many_viewers"


@dataclass(frozen=True)
class RelayConfig:
    """What the relay needs from the settings."""

    ice_servers: tuple[RTCIceServer, ...] = ()
    #: no video for this long: the stream is ``stalled``
    stall_s: float = 5.0
    #: a stream whose publisher left ends this long after, unless the publisher is back
    publisher_grace_s: float = 15.0
    max_viewers: int = 50
    #: a viewer that has not connected this long after its offer is ended
    viewer_connect_s: float = 20.0
    passthrough: bool = True
    #: seconds between two health samples (and cleanup passes)
    sample_s: float = 1.0


def _preferences(kind: str) -> list[Any]:
    wanted = _CODECS[kind]
    return [c for c in RTCRtpSender.getCapabilities(kind).codecs if c.mimeType in wanted]


class AiortcRelay:
    """:class:`~cloud.media.backend.MediaBackend` in this process (``media_backend=aiortc``)."""

    name = "aiortc"

    def __init__(self, config: RelayConfig) -> None:
        self.config = config
        self._streams: dict[str, RelayStream] = {}
        self._closing = False
        self._background: set[asyncio.Task[Any]] = set()
        self._changed = asyncio.Event()
        #: recorders by stream id, kept until stopped (a stream may start after its recorder)
        self._recorders: dict[str, StreamRecorder] = {}

    def _touch(self) -> None:
        """Wake whoever waits for a change of sessions (:meth:`until`)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def until(self, condition: Any, timeout_s: float = 20.0) -> None:
        """Wait until ``condition()`` holds, re-checked at each change of sessions (tests,
        the service's stop)."""
        async with asyncio.timeout(timeout_s):
            while not condition():
                await self._changed.wait()

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _pc(self) -> RTCPeerConnection:
        return RTCPeerConnection(RTCConfiguration(iceServers=list(self.config.ice_servers)))

    # --- WHIP ---------------------------------------------------------------------------

    async def publish(self, stream: StreamInfo, offer_sdp: str) -> Session:
        self._open()
        session_id = secrets.token_hex(12)
        pc = self._pc()
        live = self._streams.get(stream.stream_id)
        target = live or RelayStream(stream, self.config.passthrough)
        self._feed_recorder(target)
        publisher = Publisher(session_id, pc)
        tracks: dict[str, Any] = {}
        for kind in _kinds_in(offer_sdp):
            pc.addTransceiver(kind, direction="recvonly").setCodecPreferences(_preferences(kind))

        @pc.on("track")
        def on_track(track: Any) -> None:
            receiver = _receiver_of(pc, track)
            publisher.receivers[track.kind] = receiver
            tracks[track.kind] = track
            sink = target.sink_for(session_id)
            if target.passthrough and not tap_receiver(receiver, track.kind, sink):
                log.warning("aiortc has no decoder queue to tap: relaying by re-encoding")
                target.passthrough = False

        answer = await _negotiate(pc, offer_sdp)
        if "video" not in tracks:
            await pc.close()
            raise BadOffer("the offer sends no video: a WHIP publisher must send a VP8 video track")
        if not target.passthrough:
            for track in tracks.values():
                publisher.tasks.append(asyncio.create_task(target.decode_loop(session_id, track)))
        self._streams[stream.stream_id] = target
        replaced = target.attach(publisher, has_audio="audio" in tracks)
        self._touch()
        _watch(pc, lambda state: self._publisher_state(target, session_id, state))
        if replaced is not None:
            log.info("stream %s: session %s replaced", stream.stream_id, replaced.session_id)
            await _close_publisher(replaced)
        log.info("stream %s: publisher session %s", stream.stream_id, session_id)
        return Session(session_id, answer)

    def _publisher_state(self, stream: RelayStream, session_id: str, state: str) -> None:
        if state in ("failed", "closed"):
            gone = stream.detach(session_id)
            if gone is not None:
                log.info("stream %s: publisher %s %s", stream.info.stream_id, session_id, state)
                self._spawn(_close_publisher(gone))
                self._touch()

    # --- recording --------------------------------------------------------------------

    def record(self, stream_id: str, recorder: StreamRecorder) -> None:
        """Send ``stream_id``'s encoded frames to ``recorder`` from now on (or from when it is
        published) until :meth:`stop_recording`."""
        self._recorders[stream_id] = recorder
        live = self._streams.get(stream_id)
        if live is not None:
            self._feed_recorder(live)
            live.request_keyframe()  # a file starts at a key frame: do not wait for one

    def stop_recording(self, stream_id: str) -> StreamRecorder | None:
        """Stop feeding ``stream_id``'s recorder; returns it (the caller stops it)."""
        recorder = self._recorders.pop(stream_id, None)
        live = self._streams.get(stream_id)
        if live is not None:
            live.recorder = None
        return recorder

    def _feed_recorder(self, stream: RelayStream) -> None:
        recorder = self._recorders.get(stream.info.stream_id)
        if recorder is None:
            return
        if stream.passthrough:
            stream.recorder = recorder.feed
        else:
            recorder.fail("the relay decodes this stream (no passthrough): nothing to record")

    # --- WHEP ---------------------------------------------------------------------------

    async def view(self, stream_id: str, offer_sdp: str, viewer: str) -> Session:
        self._open()
        stream = self._streams.get(stream_id)
        if stream is None or stream.publisher is None:
            raise StreamNotLive(
                f"nobody publishes stream {stream_id} now: start it (or wait for its device "
                "to reconnect) and try again"
            )
        if len(stream.viewers) >= self.config.max_viewers:
            raise TooManyViewers(
                f"stream {stream_id} already has {len(stream.viewers)} viewers, the most this "
                "relay allows (KFLEET_MEDIA_MAX_VIEWERS); close a viewer or use Janus"
            )
        pc = self._pc()
        tracks: dict[str, RelayTrack] = {}
        wanted = ("video", "audio") if stream.has_audio else ("video",)
        for kind in [k for k in wanted if k in _kinds_in(offer_sdp)]:
            track = RelayTrack(kind, stream.request_keyframe)
            transceiver = pc.addTransceiver(track, direction="sendonly")
            transceiver.setCodecPreferences(_preferences(kind))
            if stream.passthrough:
                # the publisher makes key frames, not this sender (it has no encoder running)
                transceiver.sender._send_keyframe = stream.request_keyframe  # type: ignore[method-assign]
            tracks[kind] = track
        answer = await _negotiate(pc, offer_sdp)
        session_id = secrets.token_hex(12)
        entry = Viewer(session_id, pc, tracks, viewer[:100], time.monotonic())
        stream.viewers[session_id] = entry
        self._touch()
        _watch(pc, lambda state: self._viewer_state(stream, entry, state))
        stream.request_keyframe()
        log.info("stream %s: viewer %s (%s)", stream_id, session_id, entry.label)
        return Session(session_id, answer)

    def _viewer_state(self, stream: RelayStream, viewer: Viewer, state: str) -> None:
        if state == "connected":
            viewer.connected = True
            stream.request_keyframe()
        elif state in ("failed", "closed"):
            self._drop_viewer(stream, viewer.session_id, state)

    def _drop_viewer(self, stream: RelayStream, session_id: str, why: str) -> None:
        viewer = stream.viewers.pop(session_id, None)
        if viewer is None:
            return
        log.info("stream %s: viewer %s left (%s)", stream.info.stream_id, session_id, why)
        self._touch()
        for track in viewer.tracks.values():
            track.end()
        self._spawn(viewer.pc.close())

    # --- both ---------------------------------------------------------------------------

    async def leave(self, stream_id: str, session_id: str) -> None:
        stream = self._streams.get(stream_id)
        if stream is not None and session_id in stream.viewers:
            self._drop_viewer(stream, session_id, "DELETE")
            return
        if stream is not None and stream.publisher is not None:
            gone = stream.detach(session_id)
            if gone is not None:
                log.info("stream %s: publisher %s left (DELETE)", stream_id, session_id)
                self._touch()
                await _close_publisher(gone)
                return
        raise SessionNotFound(
            f"stream {stream_id} has no session {session_id}: it already ended (or never existed)"
        )

    def sessions_of(self, stream_id: str) -> tuple[str | None, list[str]]:
        """The publisher session and viewer sessions of a stream (tests, the service)."""
        stream = self._streams.get(stream_id)
        if stream is None:
            return None, []
        publisher = stream.publisher.session_id if stream.publisher else None
        return publisher, list(stream.viewers)

    def health(self) -> list[StreamHealth]:
        return [s.health(self.config.stall_s) for s in self._streams.values()]

    async def run(self) -> None:
        """Sample every stream's figures and end what nobody ended (a worker of the app)."""
        while not self._closing:
            await asyncio.sleep(self.config.sample_s)
            await self.sweep()

    async def sweep(self) -> None:
        """One pass: figures, viewers that never connected, streams past their grace."""
        now = time.monotonic()
        for stream_id, stream in list(self._streams.items()):
            await stream.sample()
            for viewer in list(stream.viewers.values()):
                if not viewer.connected and now - viewer.created > self.config.viewer_connect_s:
                    self._drop_viewer(stream, viewer.session_id, "never connected")
            orphaned = stream.orphaned_since
            if orphaned is not None and now - orphaned > self.config.publisher_grace_s:
                await self._end(stream_id, "its publisher did not come back")

    async def _end(self, stream_id: str, why: str) -> None:
        stream = self._streams.pop(stream_id, None)
        if stream is None:
            return
        log.info("stream %s ended: %s", stream_id, why)
        self._touch()
        for session_id in list(stream.viewers):
            self._drop_viewer(stream, session_id, "stream ended")
        if stream.publisher is not None:
            await _close_publisher(stream.publisher)

    async def end_if_orphaned(self, stream_id: str, why: str) -> None:
        """Its device said the stream ended: if its publisher already left, end it now (the
        viewers need not wait out the grace); a publisher still attached is a newer start."""
        stream = self._streams.get(stream_id)
        if stream is not None and stream.publisher is None:
            await self._end(stream_id, why)

    async def close(self) -> None:
        self._closing = True
        for stream_id in list(self._streams):
            await self._end(stream_id, "the cloud is stopping")
        for task in list(self._background):
            with contextlib.suppress(Exception):
                await task

    def _open(self) -> None:
        if self._closing:
            raise BackendUnavailable("the media relay is shutting down: try again in a moment")


def _kinds_in(offer_sdp: str) -> list[str]:
    """The media kinds an offer has sections for (a transceiver made for a kind the offer
    lacks would stay unmatched, and aiortc cannot answer with it)."""
    kinds = [line[2:7] for line in offer_sdp.splitlines() if line.startswith("m=")]
    return [k for k in ("video", "audio") if k in kinds]


def _receiver_of(pc: RTCPeerConnection, track: Any) -> RTCRtpReceiver:
    for transceiver in pc.getTransceivers():
        if transceiver.receiver.track is track:
            return transceiver.receiver
    raise BadOffer("a received track has no receiver")  # aiortc always pairs them


def _watch(pc: RTCPeerConnection, on_state: Any) -> None:
    @pc.on("connectionstatechange")
    def changed() -> None:
        on_state(pc.connectionState)


async def _negotiate(pc: RTCPeerConnection, offer_sdp: str) -> str:
    """The SDP answer to ``offer_sdp``; anything aiortc refuses is a :class:`BadOffer`."""
    try:
        async with asyncio.timeout(NEGOTIATE_S):
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
    except TimeoutError:
        await pc.close()
        raise BackendUnavailable(
            f"answering the offer took longer than {NEGOTIATE_S:.0f} s (ICE gathering): "
            "check media_ice_host_addresses and media_ice_servers"
        ) from None
    except Exception as err:  # aiortc raises many kinds for a bad offer: all the client's
        await pc.close()
        raise BadOffer(
            f"the SDP offer cannot be used ({type(err).__name__}: {err}); send a WebRTC "
            "offer with ICE candidates, DTLS fingerprint and VP8 video / Opus audio"
        ) from None
    return pc.localDescription.sdp


async def _close_publisher(publisher: Publisher) -> None:
    for task in publisher.tasks:
        task.cancel()
    with contextlib.suppress(Exception):
        await publisher.pc.close()
