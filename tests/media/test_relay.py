"""The aiortc relay on loopback: a publisher's frames reach two WHEP viewers without
re-encoding; viewers that vanish are cleaned up; a publisher that reconnects keeps its
viewers; offers the relay cannot use are refused precisely."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cloud.media.backend import StreamInfo
from cloud.media.relay import AiortcRelay, RelayConfig
from tests.media.media_kit import accept, loopback_only, publisher, viewer

INFO = StreamInfo("mon-kiosk-1", "monitor", "kiosk-1", "/cn/sz/futian")


@pytest.fixture
async def relay() -> AsyncIterator[AiortcRelay]:
    loopback_only()
    backend = AiortcRelay(RelayConfig(stall_s=2.0, publisher_grace_s=30.0, viewer_connect_s=10.0))
    try:
        yield backend
    finally:
        await backend.close()


async def test_two_viewers_receive_the_publishers_frames_passed_through(
    relay: AiortcRelay,
) -> None:
    pub = await publisher()
    session = await relay.publish(INFO, pub.offer_sdp)
    await accept(pub.pc, session.answer_sdp)
    viewers = [await viewer(), await viewer()]
    try:
        for v in viewers:
            answer = await relay.view(INFO.stream_id, v.offer_sdp, "test")
            await accept(v.pc, answer.answer_sdp)
        for v in viewers:
            await v.until_levels(4)
        await relay.sweep()
        (health,) = relay.health()
        assert health.passthrough is True
        assert health.viewers == 2
        assert health.has_audio is True
        assert health.state == "live"
        assert health.last_media_at is not None
    finally:
        for v in viewers:
            await v.close()
        await pub.pc.close()
