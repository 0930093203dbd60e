"""Janus down or restarted: precise 503s, streams that end instead of hanging, and a backend
that works again once Janus is back (its own Janus: this module restarts it)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from cloud.media.backend import BackendUnavailable, StreamInfo
from cloud.media.janus import JanusBackend
from cloud.settings_janus import JanusSettings
from tests.janus_kit import JanusServer
from tests.media_janus import peers

STREAM = StreamInfo("call-hc-0123456789abcdef01234567-kiosk", "call_kiosk", "k-7", "/cn/hz")


def _settings(janus: JanusServer, **changes: object) -> JanusSettings:
    base = JanusSettings(
        janus_url=janus.url,
        janus_admin_url=janus.admin_url,
        janus_api_secret=SecretStr(janus.api_secret),
        janus_admin_secret=SecretStr(janus.admin_secret),
        janus_timeout_s=3.0,
    )
    return base.model_copy(update=changes)


@pytest.fixture
async def backend(janus: JanusServer) -> AsyncIterator[JanusBackend]:
    b = JanusBackend(_settings(janus))
    await b.start()
    yield b
    await b.close()


async def test_janus_unreachable_is_unavailable(janus: JanusServer) -> None:
    b = JanusBackend(_settings(janus, janus_url="http://127.0.0.1:9/janus"))
    with pytest.raises(BackendUnavailable, match="unreachable"):
        await b.start()
    _pc, _track, offer = await peers.publisher_offer()
    with pytest.raises(BackendUnavailable):
        await b.publish(STREAM, offer)
    await _pc.close()
    await b.close()


async def test_wrong_api_secret_is_unavailable(janus: JanusServer) -> None:
    b = JanusBackend(_settings(janus, janus_api_secret=SecretStr("not-the-secret")))
    with pytest.raises(BackendUnavailable, match=r"refused the cloud: janus error 403"):
        await b.start()
    await b.close()


async def test_janus_restart_ends_streams_then_serves_again(
    janus: JanusServer, backend: JanusBackend
) -> None:
    pub, _track, offer = await peers.publisher_offer()
    session = await backend.publish(STREAM, offer)
    await peers.answer(pub, session.answer_sdp)
    assert [h.info.stream_id for h in backend.health()] == [STREAM.stream_id]
    janus.restart()
    await backend.wait_until(lambda: backend.health() == [], 30)  # told, not left hanging
    await pub.close()
    again, _t, offer2 = await peers.publisher_offer()  # the device republishes
    s2 = await backend.publish(STREAM, offer2)
    await peers.answer(again, s2.answer_sdp)
    viewer, tracks, voffer = await peers.viewer_offer()
    watched = await backend.view(STREAM.stream_id, voffer, "operator")
    await peers.answer(viewer, watched.answer_sdp)
    assert len(await peers.levels_seen(await peers.video_of(tracks), 10)) == 10
    await backend.leave(STREAM.stream_id, s2.session_id)
    await again.close()
    await viewer.close()
