"""The Janus backend against a real Janus: an aiortc publisher (WHIP offer) → Janus → two
viewers (WHEP offers, answered through Janus's own subscriber offer) decode the publisher's
frames; leaving, vanishing viewers, a republish, bad offers and health."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from cloud.media.backend import BadOffer, SessionNotFound, StreamInfo, StreamNotLive
from cloud.media.janus import JanusBackend
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
    b = JanusBackend(settings)
    await b.start()
    yield b
    await b.close()


async def _until(check, what: str, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Wait for a condition the backend reaches on a Janus event (polled: the event is
    Janus's, delivered to the backend's own poller)."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)
    assert check(), what


def _moving(levels: list[int]) -> bool:
    return len({round(v / 8) for v in levels}) >= 2


async def test_publisher_to_two_viewers(backend: JanusBackend) -> None:
    pub, _track, offer = await peers.publisher_offer()
    session = await backend.publish(STREAM, offer)
    await peers.answer(pub, session.answer_sdp)
    viewers = []
    for name in ("console", "city-platform"):
        pc, tracks, voffer = await peers.viewer_offer()
        watched = await backend.view(STREAM.stream_id, voffer, name)
        await peers.answer(pc, watched.answer_sdp)
        viewers.append((pc, tracks, watched))
    for pc, tracks, _ in viewers:
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
    reader = backend._stats  # one reading now, one later: no waiting for the 2 s loop
    await _until(lambda: pub.connectionState == "connected", "publisher connected")
    await reader.read_once()
    await asyncio.sleep(1.0)
    await reader.read_once()
    [health] = backend.health()
    assert health.bitrate_kbps > 0 and health.last_media_at is not None
    await backend.leave(STREAM.stream_id, session.session_id)
    await pub.close()


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
    await _until(lambda: backend.health()[0].viewers == 0, "vanished viewer cleaned up")
    with pytest.raises(SessionNotFound):
        await backend.leave(STREAM.stream_id, watched.session_id)
    await backend.leave(STREAM.stream_id, session.session_id)
    await pub.close()


async def test_republish_keeps_viewers(backend: JanusBackend) -> None:
    first, _t, offer = await peers.publisher_offer()
    s1 = await backend.publish(STREAM, offer)
    await peers.answer(first, s1.answer_sdp)
    pc, tracks, voffer = await peers.viewer_offer()
    watched = await backend.view(STREAM.stream_id, voffer, "console")
    await peers.answer(pc, watched.answer_sdp)
    video = await peers.video_of(tracks)
    await peers.levels_seen(video, 5)
    second, _t2, offer2 = await peers.publisher_offer()  # the device reconnects
    s2 = await backend.publish(STREAM, offer2)
    await peers.answer(second, s2.answer_sdp)
    await first.close()
    assert backend.health()[0].viewers == 1
    levels = await peers.levels_seen(video, 40)  # the same viewer, the new publisher's frames
    assert _moving(levels)
    with pytest.raises(SessionNotFound):
        await backend.leave(STREAM.stream_id, s1.session_id)
    await backend.leave(STREAM.stream_id, s2.session_id)
    await asyncio.gather(second.close(), pc.close())
