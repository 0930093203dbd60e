"""A browser as the WHEP viewer through Janus: Chromium's own offer (its payload types,
extensions, mids) answered crosswise with Janus's; the picture decodes (``videoWidth > 0``)
and plays (``currentTime`` advancing). Chromium runs in Janus's namespace (started from the
switched test thread) and offers its real host address there, not an mDNS name."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright
from pydantic import SecretStr

from cloud.media.backend import StreamInfo
from cloud.media.janus import JanusBackend
from cloud.settings_janus import JanusSettings
from tests.browser.conftest import CHROMIUM_ARGS, _chromium
from tests.janus_kit import JanusServer
from tests.media_janus import peers

STREAM = StreamInfo("mon-kiosk-09", "monitor", "kiosk-09", "/cn/hz/hall-2")

OFFER_JS = """async () => {
  const pc = new RTCPeerConnection({iceServers: []});
  window.pc = pc;
  const video = document.querySelector('video');
  const media = new MediaStream();
  pc.ontrack = (e) => { media.addTrack(e.track); video.srcObject = media; };
  pc.addTransceiver('video', {direction: 'recvonly'});
  pc.addTransceiver('audio', {direction: 'recvonly'});
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => {
    if (pc.iceGatheringState === 'complete') return done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && done();
  });
  return pc.localDescription.sdp;
}"""


@pytest.fixture
async def browser(inside_janus_namespace: None) -> AsyncIterator[Browser]:
    executable = _chromium()
    args = [*CHROMIUM_ARGS, "--disable-features=WebRtcHideLocalIpsWithMdns"]
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=executable, args=args)
        try:
            yield b
        finally:
            await b.close()


async def test_chromium_watches_through_janus(janus: JanusServer, browser: Browser) -> None:
    backend = JanusBackend(
        JanusSettings(
            janus_url=janus.url,
            janus_admin_url=janus.admin_url,
            janus_api_secret=SecretStr(janus.api_secret),
            janus_admin_secret=SecretStr(janus.admin_secret),
        )
    )
    pub, _track, offer = await peers.publisher_offer()
    session = await backend.publish(STREAM, offer)
    await peers.answer(pub, session.answer_sdp)
    page = await browser.new_page()
    await page.set_content("<video autoplay muted playsinline></video>")
    viewer_offer = await page.evaluate(OFFER_JS)
    watched = await backend.view(STREAM.stream_id, viewer_offer, "chromium")
    await page.evaluate("sdp => pc.setRemoteDescription({type: 'answer', sdp})", watched.answer_sdp)
    await page.wait_for_function(
        "() => { const v = document.querySelector('video'); "
        "return v.videoWidth === 320 && v.currentTime > 0; }",
        timeout=20_000,
    )
    started = await page.evaluate("() => document.querySelector('video').currentTime")
    await page.wait_for_function(
        f"() => document.querySelector('video').currentTime > {started} + 1", timeout=20_000
    )
    tracks = await page.evaluate("() => pc.getReceivers().map(r => r.track.kind).sort()")
    assert tracks == ["audio", "video"]
    assert backend.health()[0].viewers == 1
    await backend.leave(STREAM.stream_id, watched.session_id)
    await backend.leave(STREAM.stream_id, session.session_id)
    await pub.close()
    await backend.close()
