"""One stream from this device: a WHIP session carrying the camera (+ microphone), kept up.

:meth:`Publisher.start` opens the first session and returns once the WHIP endpoint accepted
it (``201``), so a refused token or an unreachable endpoint fails the cloud's call at once.
Then a task watches the session: the peer connection failing or closing, or the media
server's RTCP receiver reports stopping for ``[av] liveness_s``, starts a new session (aiortc
has no ICE restart, so: a new peer connection and a new WHIP POST) after a pause that doubles
from ``reconnect_min_s`` to ``reconnect_max_s``. A refused token ends the stream (``token
expired``), so does a camera that stops delivering frames (``camera unplugged``). Every state
change goes to ``report`` (the ``stream`` event).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)

from edge_agent.av.encoder import cap_video_bitrate
from edge_agent.av.tracks import CameraTrack, MicTrack
from edge_agent.av.whip import StreamError, WhipClient, WhipRefused, WhipSession
from edge_agent.drivers.video import VideoError
from protocols.av import StreamData, StreamStartArgs, StreamStarted, StreamState

if TYPE_CHECKING:
    from aiortc.mediastreams import MediaStreamTrack

    from edge_agent.av.settings import AvSettings
    from edge_agent.drivers.av_camera import AudioReader, AvCamera, FrameFeed

log = logging.getLogger(__name__)

Report = Callable[[StreamData], Awaitable[None]]

#: how often the session's receiver reports are looked at
LIVENESS_TICK_S = 1.0
CAMERA_UNPLUGGED = "camera unplugged"


class Publisher:
    """Publishes ``args.stream_id`` from ``camera`` until :meth:`stop` or a final failure."""

    def __init__(
        self,
        camera: AvCamera,
        args: StreamStartArgs,
        settings: AvSettings,
        whip: WhipClient,
        report: Report,
    ) -> None:
        self.camera, self.args, self.settings = camera, args, settings
        self.stream_id = args.stream_id
        self._whip, self._report = whip, report
        self.session: WhipSession | None = None
        self._pc: RTCPeerConnection | None = None
        self._feed: FrameFeed | None = None
        self._audio: AudioReader | None = None
        self._trouble = asyncio.Event()
        self._trouble_reason = ""
        self._camera_lost: VideoError | None = None
        self._task: asyncio.Task[None] | None = None
        self._leaving: set[asyncio.Task[None]] = set()  # DELETEs of lost sessions under way
        self.state = StreamState.RECONNECTING  # until the first session connects
        self.ended = asyncio.Event()
        self.end_reason = ""
        self.sessions = 0  # WHIP sessions opened (the first, and each reconnect)

    # --- the stream's life ----------------------------------------------------------------

    async def start(self) -> StreamStarted:
        """Open the first session. Raises :class:`StreamError` (the camera's or the WHIP
        endpoint's reason) and then leaves nothing running."""
        self._feed = self.camera.live(self.args.fps)
        try:
            if self.args.audio:
                self._audio = await self._microphone()
            await self._connect()
        except BaseException:
            await self._release()
            raise
        self._task = asyncio.create_task(self._keep_up(), name=f"stream-{self.stream_id}")
        return self.started()

    def started(self) -> StreamStarted:
        url = self.session.url if self.session is not None else ""
        return StreamStarted(stream_id=self.stream_id, session_url=url)

    def renew(self, args: StreamStartArgs) -> None:
        """A repeated ``stream_start``: its token (and ICE servers) serve the next session."""
        self.args = self.args.model_copy(
            update={"token": args.token, "ice_servers": args.ice_servers}
        )

    async def stop(self, reason: str = "stopped") -> None:
        """End the stream: leave the WHIP session, release the camera, report ``ended``."""
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            if not self.ended.is_set():  # still streaming: stop it; else let it finish ending
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self._finish(reason)

    async def _finish(self, reason: str) -> None:
        if self.ended.is_set():
            return
        self.ended.set()
        self.end_reason = reason
        await self._release()
        log.info("stream %s ended: %s", self.stream_id, reason)
        await self._say(StreamState.ENDED, reason, 0)

    async def _release(self) -> None:
        await self._drop_session()
        if self._feed is not None:
            await self._feed.close()
        if self.camera.microphone_problem and self._audio is None:
            self.camera.microphone_problem = ""
            self.camera.health_may_have_changed()

    async def _keep_up(self) -> None:
        """Watch the session; replace it when it fails; end the stream when that cannot help."""
        try:
            while True:
                reason = await self._watch()
                if self._camera_gone():
                    await self._finish(CAMERA_UNPLUGGED)
                    return
                log.info("stream %s: session lost (%s); reconnecting", self.stream_id, reason)
                await self._drop_session(wait=False)
                final = await self._reconnect(reason)
                if final:
                    await self._finish(final)
                    return
        except Exception:  # a bug must end the stream visibly, not leave it half up
            log.exception("stream %s failed", self.stream_id)
            await self._finish("agent error")

    async def _reconnect(self, reason: str) -> str:
        """New sessions with backoff until one is accepted (``""``) or one cannot be (why)."""
        attempt = 0
        while True:
            attempt += 1
            self.state = StreamState.RECONNECTING
            await self._say(StreamState.RECONNECTING, reason, attempt)
            pause = min(
                self.settings.reconnect_max_s, self.settings.reconnect_min_s * 2 ** (attempt - 1)
            )
            await asyncio.sleep(pause)  # a backoff pause, not synchronisation
            if self._camera_gone():
                return CAMERA_UNPLUGGED
            self.camera.tally["stream_reconnects"] += 1
            try:
                await self._connect()
                return ""
            except StreamError as err:
                if not err.retry:
                    return _final_reason(err)
                reason = err.reason

    # --- one session ----------------------------------------------------------------------

    async def _connect(self) -> None:
        """A new peer connection, its offer POSTed to the WHIP endpoint, the answer applied."""
        assert self._feed is not None
        args = self.args
        pc = RTCPeerConnection(RTCConfiguration(iceServers=_ice_servers(args)))
        trouble = asyncio.Event()
        video = CameraTrack(self._feed, (args.width, args.height), args.fps, self._lost)
        transceiver = pc.addTransceiver(video, direction="sendonly")
        _prefer_vp8(transceiver)
        cap_video_bitrate(transceiver.sender, args.max_bitrate_kbps)
        if args.audio:
            pc.addTransceiver(await self._audio_track(), direction="sendonly")
        pc.on("connectionstatechange", lambda: self._pc_changed(pc, trouble))
        self._pc, self._trouble = pc, trouble
        try:
            await pc.setLocalDescription(await pc.createOffer())
            session = await self._whip.publish(args.whip_url, args.token, pc.localDescription.sdp)
            try:
                await pc.setRemoteDescription(RTCSessionDescription(session.answer, "answer"))
            except Exception as err:
                await self._whip.leave(session.url, args.token)
                why = f"whip endpoint's SDP answer is unusable: {err}"
                raise StreamError(why, retry=True) from err
        except BaseException:
            self._pc = None
            await pc.close()
            raise
        self.session = session
        self.sessions += 1
        self.camera.tally["stream_sessions"] += 1

    async def _drop_session(self, *, wait: bool = True) -> None:
        """Close the peer connection and DELETE the session. ``wait=False`` (a lost session,
        the network perhaps down): the DELETE goes on in the background, so the next session
        is not held up by its timeout; the stream's end waits for it."""
        pc, self._pc = self._pc, None
        session, self.session = self.session, None
        if pc is not None:
            await pc.close()
        if session is not None:
            leave = asyncio.create_task(self._whip.leave(session.url, self.args.token))
            self._leaving.add(leave)
            leave.add_done_callback(self._leaving.discard)
        if wait and self._leaving:
            await asyncio.gather(*self._leaving)

    def _pc_changed(self, pc: RTCPeerConnection, trouble: asyncio.Event) -> None:
        state = pc.connectionState
        if pc is not self._pc:
            return
        if state == "connected" and self.state != StreamState.LIVE:
            self.state = StreamState.LIVE
            task = asyncio.ensure_future(self._say(StreamState.LIVE, "", 0))
            task.add_done_callback(lambda t: t.exception())
        elif state in ("failed", "closed"):
            self._trouble_reason = "ice failed" if state == "failed" else "connection closed"
            trouble.set()

    async def _watch(self) -> str:
        """Until the session fails, or the media server stops sending receiver reports: why."""
        last_report, seen_at = None, time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(LIVENESS_TICK_S):
                    await self._trouble.wait()
                return self._trouble_reason
            if self._camera_gone():
                return CAMERA_UNPLUGGED
            latest = await self._latest_receiver_report()
            if latest != last_report:
                last_report, seen_at = latest, time.monotonic()
            elif time.monotonic() - seen_at > self.settings.liveness_s:
                return f"no receiver reports for {self.settings.liveness_s:g} s"

    async def _latest_receiver_report(self) -> object:
        """The newest RTCP receiver report's time over the session's senders (None: none)."""
        pc = self._pc
        if pc is None:
            return None
        newest = None
        for sender in pc.getSenders():
            for stat in (await sender.getStats()).values():
                if stat.type == "remote-inbound-rtp" and (
                    newest is None or stat.timestamp > newest
                ):
                    newest = stat.timestamp
        return newest

    def _camera_gone(self) -> bool:
        """Whether the camera stopped delivering (seen by the track, or by the feed while no
        session pulls frames)."""
        feed_failed = self._feed is not None and self._feed.failure is not None
        return self._camera_lost is not None or feed_failed

    def _lost(self, err: VideoError) -> None:
        """The video track found the camera gone."""
        if self._camera_lost is None:
            self._camera_lost = err
            self._trouble_reason = CAMERA_UNPLUGGED
            self._trouble.set()

    # --- sound ----------------------------------------------------------------------------

    async def _microphone(self) -> AudioReader | None:
        """The camera source's microphone; None (and a ``degraded`` camera) when it has none
        and none is configured."""
        try:
            read = await self.camera.audio_reader()
        except VideoError as err:
            raise StreamError(f"{CAMERA_UNPLUGGED}: {err.why}", retry=False) from err
        if read is None and not self.camera.cfg.microphone:
            self._no_microphone("it has none of its own and no `microphone` is configured")
        return read

    async def _audio_track(self) -> MediaStreamTrack:
        if self._audio is not None or not self.camera.cfg.microphone:
            return MicTrack(self._audio)
        kind, _, device = self.camera.cfg.microphone.partition(":")
        from aiortc.contrib.media import MediaPlayer

        try:
            player = await asyncio.to_thread(MediaPlayer, device, format=kind)
        except Exception as err:  # av's errors; the stream goes on with silence
            self._no_microphone(f"{self.camera.cfg.microphone!r} did not open ({err})")
            return MicTrack(None)
        if player.audio is None:
            self._no_microphone(f"{self.camera.cfg.microphone!r} delivers no sound")
            return MicTrack(None)
        return player.audio

    def _no_microphone(self, why: str) -> None:
        self.camera.microphone_problem = (
            f"camera {self.camera.id}: no microphone for live streams: {why}; they carry "
            "silence. Set the camera's `microphone` (e.g. alsa:default)"
        )
        self.camera.health_may_have_changed()

    async def _say(self, state: StreamState, reason: str, attempt: int) -> None:
        data = StreamData(
            stream_id=self.stream_id, state=state, reason=reason[:200], attempt=attempt
        )
        try:
            await self._report(data)
        except Exception:  # a report that cannot be sent must not stop the stream
            log.exception("stream %s: could not report %s", self.stream_id, state)


def _final_reason(err: StreamError) -> str:
    if isinstance(err, WhipRefused) and err.status in (401, 403):
        return f"token expired ({err.reason})"[:200]
    return err.reason


def _ice_servers(args: StreamStartArgs) -> list[RTCIceServer]:
    """The cloud's ICE servers for this stream: none unless it gave some (never a public one)."""
    return [
        RTCIceServer(
            urls=list(s.urls), username=s.username or None, credential=s.credential or None
        )
        for s in args.ice_servers
    ]


def _prefer_vp8(transceiver: RTCRtpTransceiver) -> None:
    """VP8 only: what every WHEP player and the relay's passthrough handle (and what the
    capped encoder is)."""
    codecs = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/VP8"]
    transceiver.setCodecPreferences(codecs)
