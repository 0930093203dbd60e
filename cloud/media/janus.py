"""A :class:`MediaBackend` over Janus (Debian's ``janus``, VideoRoom plugin): Janus does the
fan-out, the cloud only signals.

Every stream is one publisher in one VideoRoom room (``janus_room``, created at first use).
WHIP: the device's offer goes to ``joinandconfigure`` and Janus's answer comes back. WHEP:
Janus offers to subscribers itself, so the viewer's offer and Janus's are answered crosswise
(:mod:`cloud.media.janus_sdp`). Janus forwards the publisher's RTP as it is (passthrough).
A peer connection Janus hangs up (ICE failed, DTLS alert, the viewer vanished without
DELETE) ends its session here too; a publisher that sends nothing for Janus's
``no_media_timer`` makes the stream ``stalled``. Health figures come from the admin API.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from cloud.media.backend import (
    BackendUnavailable,
    BadOffer,
    MediaBackend,
    MediaError,
    Session,
    SessionNotFound,
    StreamHealth,
    StreamInfo,
    StreamNotLive,
)
from cloud.media.janus_client import JanusClient, JanusError, JsonDict
from cloud.media.janus_room import (
    PLUGIN,
    ROOM_EXISTS,
    PublishedStream,
    ViewerLeg,
    all_inactive,
    as_media_error,
    mids_by_kind,
)
from cloud.media.janus_sdp import (
    AUDIO_CODEC,
    VIDEO_CODEC,
    SdpError,
    SessionDescription,
    answer_for_janus,
    answer_for_viewer,
    pair_sections,
    parse,
)
from cloud.media.janus_stats import StatsReader
from cloud.settings_janus import JanusSettings

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def _new_session_id() -> str:
    return secrets.token_hex(12)


class JanusBackend:
    """WHIP/WHEP through one Janus; ``start`` before use, ``close`` at shutdown."""

    name = "janus"

    def __init__(self, settings: JanusSettings) -> None:
        self._settings = settings
        self._client = JanusClient(
            settings.janus_url,
            settings.janus_api_secret.get_secret_value(),
            timeout_s=settings.janus_timeout_s,
            listener=self._on_event,
        )
        self._stats = StatsReader(settings, self._client, self.live_handles)
        self._streams: dict[str, PublishedStream] = {}
        self._by_handle: dict[int, str] = {}
        self._lock = asyncio.Lock()
        self._control: int | None = None
        self._closing = False
        self._tasks: set[asyncio.Task[None]] = set()
        #: set (and replaced) at every change Janus reports: :meth:`wait_until` awaits it
        self._change = asyncio.Event()

    async def start(self) -> None:
        """Open the Janus session and make sure the room exists (raises if Janus is down)."""
        async with self._lock:
            await self._ensure_session()

    async def _ensure_session(self) -> None:
        if self._closing:
            raise BackendUnavailable("the media backend is shutting down")
        if self._client.session_id is not None and self._control is not None:
            return
        try:
            await self._client.start()
            self._control = await self._client.attach(PLUGIN)
        except JanusError as exc:  # a wrong api_secret, mostly
            raise BackendUnavailable(f"Janus refused the cloud: {exc}") from None
        s = self._settings
        try:
            await self._client.request(
                self._control,
                {
                    "request": "create",
                    "room": s.janus_room,
                    "admin_key": s.janus_admin_secret.get_secret_value(),
                    "description": "kfleet streams",
                    "publishers": s.janus_room_publishers,
                    "videocodec": VIDEO_CODEC,
                    "audiocodec": AUDIO_CODEC,
                    "notify_joining": False,
                    "permanent": False,
                },
            )
        except JanusError as exc:
            if exc.code != ROOM_EXISTS:
                raise BackendUnavailable(f"cannot create the Janus room: {exc}") from exc
        self._stats.start()

    async def _attach(self) -> int:
        """A new VideoRoom handle in our session (one per WHIP or WHEP session)."""
        try:
            return await self._client.attach(PLUGIN)
        except JanusError as exc:
            raise BackendUnavailable(f"Janus refused a new handle: {exc}") from None

    async def publish(self, stream: StreamInfo, offer_sdp: str) -> Session:
        try:
            offer = parse(offer_sdp)
        except SdpError as exc:
            raise BadOffer(str(exc)) from None
        async with self._lock:
            await self._ensure_session()
        handle = await self._attach()
        body = {
            "request": "joinandconfigure",
            "room": self._settings.janus_room,
            "ptype": "publisher",
            "display": stream.stream_id,
            "audio": True,
            "video": True,
        }
        jsep = {"type": "offer", "sdp": offer_sdp, "trickle": False}
        try:
            event = await self._client.message(handle, body, jsep)
        except (JanusError, MediaError) as exc:
            await self._client.detach(handle)
            raise as_media_error(exc, "publish") from None
        answer = event.get("jsep", {}).get("sdp")
        data = event.get("plugindata", {}).get("data", {})
        if not isinstance(answer, str) or "id" not in data:
            await self._client.detach(handle)
            raise BadOffer("Janus accepted no media from the offer (VP8 video, Opus audio)")
        has_audio = any(s.kind == "audio" and s.port != "0" for s in offer.media)
        new = PublishedStream(stream, _new_session_id(), handle, int(data["id"]), has_audio, _now())
        new.mids = mids_by_kind(data.get("streams"))
        old = self._streams.get(stream.stream_id)
        self._streams[stream.stream_id] = new
        self._by_handle[handle] = stream.stream_id
        if old is not None:  # a reconnecting publisher replaces its stale session
            new.started_at = old.started_at
            new.viewers = dict(old.viewers)  # the same sessions, switched once it sends
            self._by_handle.pop(old.handle, None)
            task = asyncio.create_task(self._hand_over(old, new))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return Session(new.session_id, answer)

    async def _hand_over(self, old: PublishedStream, new: PublishedStream) -> None:
        """Once the new publisher sends, point the old feed's viewers at it (Janus's
        ``switch``: no renegotiation, the viewer keeps its session), then let the old go."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(new.ready.wait(), self._settings.janus_timeout_s * 3)
        for v in list(new.viewers.values()):
            try:
                if not new.ready.is_set():
                    raise StreamNotLive("the new publisher never sent")
                switch = [
                    {"feed": new.feed, "mid": new.mids[kind], "sub_mid": sub_mid}
                    for kind, sub_mid in v.mids
                    if kind in new.mids
                ]
                await self._client.message(v.handle, {"request": "switch", "streams": switch})
            except (JanusError, MediaError) as exc:
                log.info("viewer %s of %s let go (%s)", v.session_id, old.info.stream_id, exc)
                new.viewers.pop(v.session_id, None)
                self._by_handle.pop(v.handle, None)
                await self._client.detach(v.handle)
        await self._client.detach(old.handle)
        self._changed()

    async def view(self, stream_id: str, offer_sdp: str, viewer: str) -> Session:
        try:
            viewer_offer = parse(offer_sdp)
        except SdpError as exc:
            raise BadOffer(str(exc)) from None
        stream = self._streams.get(stream_id)
        if stream is None:
            raise StreamNotLive(f"stream {stream_id} is not published now")
        try:  # right after WHIP's 201 the publisher's peer connection may not be up yet
            await asyncio.wait_for(stream.ready.wait(), self._settings.janus_timeout_s)
        except TimeoutError:
            raise StreamNotLive(f"stream {stream_id} has not started sending") from None
        handle = await self._attach()
        try:
            answer, mids = await self._subscribe(handle, stream, viewer_offer)
        except BaseException:
            await self._client.detach(handle)
            raise
        session = ViewerLeg(_new_session_id(), handle, viewer, mids)
        current = self._streams.get(stream_id)
        if current is None:  # the publisher left while we negotiated
            await self._client.detach(handle)
            raise StreamNotLive(f"stream {stream_id} ended")
        current.viewers[session.session_id] = session
        self._by_handle[handle] = stream_id
        log.info("viewer %s watches %s (session %s)", viewer, stream_id, session.session_id)
        return Session(session.session_id, answer)

    async def _subscribe(
        self, handle: int, stream: PublishedStream, viewer_offer: SessionDescription
    ) -> tuple[str, list[tuple[str, str]]]:
        """Join as a subscriber of the stream's feed and answer both offers: the viewer's
        answer and the subscription's (kind, mid) pairs."""
        body = {
            "request": "join",
            "room": self._settings.janus_room,
            "ptype": "subscriber",
            "streams": [{"feed": stream.feed}],
        }
        try:
            event = await self._client.message(handle, body)
        except (JanusError, MediaError) as exc:
            raise as_media_error(exc, "view", stream.info.stream_id) from None
        streams = event.get("plugindata", {}).get("data", {}).get("streams")
        mids = list(mids_by_kind(streams).items())
        janus_sdp = event.get("jsep", {}).get("sdp")
        if not isinstance(janus_sdp, str):
            raise BackendUnavailable("Janus offered no media to the viewer")
        janus_offer = parse(janus_sdp)
        try:
            pairing = pair_sections(viewer_offer, janus_offer)
            to_janus = answer_for_janus(viewer_offer, janus_offer, pairing)
            to_viewer = answer_for_viewer(viewer_offer, janus_offer, pairing)
        except SdpError as exc:
            raise BadOffer(str(exc)) from None
        jsep = {"type": "answer", "sdp": to_janus, "trickle": False}
        try:
            await self._client.message(handle, {"request": "start"}, jsep)
        except (JanusError, MediaError) as exc:
            raise as_media_error(exc, "view", stream.info.stream_id) from None
        return to_viewer, mids

    async def leave(self, stream_id: str, session_id: str) -> None:
        stream = self._streams.get(stream_id)
        if stream is None:
            raise SessionNotFound(f"no session {session_id} of stream {stream_id}")
        if stream.session_id == session_id:
            await self._end_stream(stream, "publisher left")
            return
        v = stream.viewers.pop(session_id, None)
        if v is None:
            raise SessionNotFound(f"no session {session_id} of stream {stream_id}")
        self._by_handle.pop(v.handle, None)
        await self._client.detach(v.handle)

    async def _end_stream(self, stream: PublishedStream, why: str) -> None:
        """The publisher is gone: the stream ends and so do its viewers' sessions."""
        if self._streams.get(stream.info.stream_id) is not stream:
            return
        del self._streams[stream.info.stream_id]
        log.info(
            "stream %s ended (%s), %d viewers let go",
            stream.info.stream_id,
            why,
            len(stream.viewers),
        )
        for h in [stream.handle, *(v.handle for v in stream.viewers.values())]:
            self._by_handle.pop(h, None)
            await self._client.detach(h)
        self._changed()

    def _on_event(self, handle: int, event: JsonDict) -> None:
        try:
            self._apply_event(handle, event)
        finally:
            self._changed()

    def _apply_event(self, handle: int, event: JsonDict) -> None:
        kind = event.get("janus")
        log.debug("janus event on handle %s: %s", handle, event)
        if kind == "session_lost":
            lost = list(self._streams)
            self._streams.clear()
            self._by_handle.clear()
            self._control = None
            log.error("Janus lost its session: streams %s ended", lost)
            return
        stream_id = self._by_handle.get(handle)
        stream = self._streams.get(stream_id) if stream_id else None
        if stream is None:
            return
        if kind == "webrtcup" and handle == stream.handle:
            stream.ready.set()
        elif kind == "media" and handle == stream.handle and event.get("type") == "video":
            stream.receiving = bool(event.get("receiving"))
        elif kind == "event" and handle != stream.handle and all_inactive(event):
            # the feed went before a new one took over: Janus would renegotiate, which WHEP
            # cannot; the viewer's player makes a new WHEP session
            self._drop_viewer(stream, handle, "its feed was unpublished")
        elif kind in ("hangup", "detached"):
            reason = str(event.get("reason", kind))
            if handle == stream.handle:
                asyncio.get_running_loop().create_task(self._end_stream(stream, reason))
            else:
                self._drop_viewer(stream, handle, reason)

    def _drop_viewer(self, stream: PublishedStream, handle: int, reason: str) -> None:
        gone = [v for v in stream.viewers.values() if v.handle == handle]
        for v in gone:
            stream.viewers.pop(v.session_id, None)
            self._by_handle.pop(handle, None)
            log.info("viewer %s of %s gone (%s)", v.session_id, stream.info.stream_id, reason)
            asyncio.get_running_loop().create_task(self._client.detach(handle))

    def health(self) -> list[StreamHealth]:
        out = []
        for s in self._streams.values():
            figures = self._stats.figures(s.handle)
            out.append(
                StreamHealth(
                    info=s.info,
                    state="live" if s.receiving else "stalled",
                    started_at=s.started_at,
                    fps=figures.fps,
                    bitrate_kbps=figures.bitrate_kbps,
                    packet_loss_pct=figures.packet_loss_pct,
                    last_media_at=figures.last_media_at,
                    viewers=len(s.viewers),
                    has_audio=s.has_audio,
                    passthrough=True,
                )
            )
        return out

    def _changed(self) -> None:
        self._change.set()
        self._change = asyncio.Event()

    async def wait_until(self, done: Callable[[], bool], timeout_s: float) -> None:
        """Await a state the backend reaches on Janus's events (a viewer cleaned up, a stream
        ended, a hand-over finished); ``TimeoutError`` if it does not come."""
        async with asyncio.timeout(timeout_s):
            while not done():
                await self._change.wait()

    def live_handles(self) -> list[int]:
        """The publishers' handles (what the stats reader asks the admin API about)."""
        return [s.handle for s in self._streams.values()]

    async def close(self) -> None:
        self._closing = True
        for task in self._tasks:
            task.cancel()
        await self._stats.close()
        self._streams.clear()
        self._by_handle.clear()
        with contextlib.suppress(MediaError):
            await self._client.close()


def build_backend(settings: JanusSettings) -> JanusBackend:
    """The backend ``media_backend = janus`` names (``cloud/media/build.py`` calls it with the
    cloud's settings). Nothing is contacted yet: the first WHIP opens the Janus session, so
    a cloud starts even while Janus is down (WHIP/WHEP answer 503 until it is up)."""
    return JanusBackend(settings)


#: the contract, checked by mypy: the Janus backend is a MediaBackend
_IS_A_BACKEND: type[MediaBackend] = JanusBackend
