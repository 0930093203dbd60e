"""The Janus backend against a real Janus: an aiortc publisher (WHIP offer) → Janus → two
viewers (WHEP offers, one with its m-lines in the other order, answered through Janus's own
subscriber offer) decode the publisher's frames; leaving, vanishing viewers, a republish,
bad offers and health."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from cloud.media.backend import BadOffer, SessionNotFound, StreamInfo, StreamNotLive
from cloud.media.janus import JanusBackend, build_backend
from cloud.settings_janus import JanusSettings
from tests.janus_kit import JanusServer
from tests.media_janus import peers

STREAM = StreamInfo("mon-kiosk-01", "monitor", "kiosk-01", "/cn/hz/hall-1")


@pytest.fixture
async def backend(janus: JanusServer) -> AsyncIterator[JanusBackend]:
    settings = JanusSettings(
        janus_url=janus.url,
        janus_admin_url=janus.admin_url,
        janus_api_secret=SecretStr(janus.api_secret),
        janus_admin_secret=SecretStr(janus.admin_secret),
    )
    b = build_backend(settings)  # what media_backend=janus builds
    await b.start()
    yield b
    await b.close()


def _moving(levels: list[int]) -> bool:
    return len({round(v / 8) for v in levels}) >= 2


async def test_publisher_to_two_viewers(backend: JanusBackend) -> None:
    pub, _track, offer = await peers.publisher_offer()
    session = await backend.publish(STREAM, offer)
    await peers.answer(pub, session.answer_sdp)
    viewers = []
    for name, video_first in (("console", False), ("city-platform", True)):
        pc, tracks, voffer = await peers.viewer_offer(video_first)
        watched = await backend.view(STREAM.stream_id, voffer, name)
        await peers.answer(pc, watched.answer_sdp)
        viewers.append((pc, tracks, watched))
    for _pc, tracks, _ in viewers:
        video = await peers.video_of(tracks)
        levels = await peers.levels_seen(video, 40)
        assert _moving(levels), f"frames do not move through Janus: {levels}"
    [health] = backend.health()
    assert health.viewers == 2 and health.passthrough and health.has_audio
    assert health.state == "live"
    for pc, _, watched in viewers:
        await backend.leave(STREAM.stream_id, watched.session_id)
        await pc.close()
    assert backend.health()[0].viewers == 0
    with pytest.raises(SessionNotFound):
        await backend.leave(STREAM.stream_id, viewers[0][2].session_id)
    await backend.leave(STREAM.stream_id, session.session_id)
    assert backend.health() == []
    await pub.close()


async def test_health_counts_bitrate(backend: JanusBackend) -> None:
    pub, _track, offer = await peers.publisher_offer()
    session = await backend.publish(STREAM, offer)
    await peers.answer(pub, session.answer_sdp)
    pc, tracks, voffer = await peers.viewer_offer()
    watched = await backend.view(STREAM.stream_id, voffer, "console")
    await peers.answer(pc, watched.answer_sdp)
    video = await peers.video_of(tracks)
    reader = backend._stats  # two readings 20 received frames apart, not the 2 s loop
    await reader.read_once()
    await peers.levels_seen(video, 20)
    await reader.read_once()
    [health] = backend.health()
    assert health.bitrate_kbps > 0 and health.last_media_at is not None
    assert health.packet_loss_pct == 0 and health.state == "live"
    await backend.leave(STREAM.stream_id, session.session_id)
    await asyncio.gather(pub.close(), pc.close())


async def test_viewer_of_unpublished_stream_is_refused(backend: JanusBackend) -> None:
    pc, _tracks, voffer = await peers.viewer_offer()
    with pytest.raises(StreamNotLive):
        await backend.view("mon-nobody", voffer, "console")
    await pc.close()


async def test_bad_offers(backend: JanusBackend) -> None:
    with pytest.raises(BadOffer, match="not SDP"):
        await backend.publish(STREAM, "hello")
    pub, _track, offer = await peers.publisher_offer(audio=False)
    session = await backend.publish(STREAM, offer)
    await peers.answer(pub, session.answer_sdp)
    with pytest.raises(BadOffer, match="no media section"):
        await backend.view(STREAM.stream_id, "v=0\r\ns=-\r\n", "console")
    # a viewer that only wants audio of a stream without audio receives nothing
    pc = peers.peer()
    pc.addTransceiver("audio", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    with pytest.raises(BadOffer, match="receives nothing"):
        await backend.view(STREAM.stream_id, pc.localDescription.sdp, "console")
    await pc.close()
    assert backend.health()[0].viewers == 0
    await backend.leave(STREAM.stream_id, session.session_id)
    await pub.close()


async def test_viewer_gone_without_delete_is_cleaned_up(backend: JanusBackend) -> None:
    pub, _track, offer = await peers.publisher_offer()
    session = await backend.publish(STREAM, offer)
    await peers.answer(pub, session.answer_sdp)
    pc, tracks, voffer = await peers.viewer_offer()
    watched = await backend.view(STREAM.stream_id, voffer, "console")
    await peers.answer(pc, watched.answer_sdp)
    await peers.levels_seen(await peers.video_of(tracks), 5)
    assert backend.health()[0].viewers == 1
    await pc.close()  # DTLS close_notify: Janus hangs the viewer up, the backend forgets it
    await backend.wait_until(lambda: backend.health()[0].viewers == 0, 10)
    with pytest.raises(SessionNotFound):
        await backend.leave(STREAM.stream_id, watched.session_id)
    await backend.leave(STREAM.stream_id, session.session_id)
    await pub.close()


async def test_republish_keeps_viewers(backend: JanusBackend) -> None:
    """A device that opens a new WHIP session before its old one is gone: the viewer keeps
    its session and gets the new publisher's frames (Janus ``switch``)."""
    first, _t, offer = await peers.publisher_offer(base=16)  # grey 16..96
    s1 = await backend.publish(STREAM, offer)
    await peers.answer(first, s1.answer_sdp)
    pc, tracks, voffer = await peers.viewer_offer()
    watched = await backend.view(STREAM.stream_id, voffer, "console")
    await peers.answer(pc, watched.answer_sdp)
    video = await peers.video_of(tracks)
    assert max(await peers.levels_seen(video, 5)) < 120
    second, _t2, offer2 = await peers.publisher_offer(base=144)  # grey 144..224
    s2 = await backend.publish(STREAM, offer2)
    await peers.answer(second, s2.answer_sdp)
    await backend.wait_until(lambda: not backend._tasks, 10)  # the hand-over is done
    assert backend.health()[0].viewers == 1
    levels = await peers.levels_seen(video, 60)
    assert min(levels[-20:]) > 120, f"still the old publisher's frames: {levels}"
    assert _moving(levels[-20:])
    with pytest.raises(SessionNotFound):
        await backend.leave(STREAM.stream_id, s1.session_id)
    await backend.leave(STREAM.stream_id, watched.session_id)
    await backend.leave(STREAM.stream_id, s2.session_id)
    await asyncio.gather(first.close(), second.close(), pc.close())


async def test_viewer_dropped_when_its_feed_goes_first(backend: JanusBackend) -> None:
    """The old publisher vanished before a new one came: Janus would renegotiate the viewer
    (WHEP cannot), so the viewer's session ends and the stream with it."""
    first, _t, offer = await peers.publisher_offer()
    s1 = await backend.publish(STREAM, offer)
    await peers.answer(first, s1.answer_sdp)
    pc, tracks, voffer = await peers.viewer_offer()
    watched = await backend.view(STREAM.stream_id, voffer, "console")
    await peers.answer(pc, watched.answer_sdp)
    await peers.levels_seen(await peers.video_of(tracks), 5)
    await first.close()  # Janus hangs the publisher up: the stream ends, its viewer too
    await backend.wait_until(lambda: backend.health() == [], 10)
    with pytest.raises(SessionNotFound):
        await backend.leave(STREAM.stream_id, watched.session_id)
    await pc.close()


async def test_a_publisher_that_sends_nothing_is_stalled_then_live(backend: JanusBackend) -> None:
    pub, track, offer = await peers.publisher_offer(audio=False)
    session = await backend.publish(STREAM, offer)
    await peers.answer(pub, session.answer_sdp)
    await backend.wait_until(lambda: backend._streams[STREAM.stream_id].ready.is_set(), 10)
    assert backend.health()[0].state == "live"
    track.running.clear()  # Janus's no_media_timer (2 s in .ci/janus) reports it
    await backend.wait_until(lambda: backend.health()[0].state == "stalled", 15)
    track.running.set()
    await backend.wait_until(lambda: backend.health()[0].state == "live", 15)
    await backend.leave(STREAM.stream_id, session.session_id)
    await pub.close()
