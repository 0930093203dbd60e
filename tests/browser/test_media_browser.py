"""Chromium and the relay on loopback: a browser publishes its (fake) camera and microphone
with WHIP, another browser page watches it with WHEP and a view token, and an aiortc viewer
decodes the same stream — the relay forwards Chromium's VP8 without re-encoding."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from tests.browser.media_chromium import media_browser as chromium_with_fake_media
from tests.browser.people_served import Served, page_errors, served_cloud
from tests.media.media_kit import accept, loopback_only, viewer

#: fake camera and microphone, loopback ICE candidates without mDNS names (media stays here)
STREAM = "call-hc-0123456789abcdef01234567-op"

PUBLISH = """async ({url, token}) => {
  const media = await navigator.mediaDevices.getUserMedia(
    {video: {width: 320, height: 240}, audio: true});
  const pc = new RTCPeerConnection({iceServers: []});
  for (const t of media.getTracks()) pc.addTransceiver(t, {direction: 'sendonly'});
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(done => {
    if (pc.iceGatheringState === 'complete') return done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && done();
  });
  const r = await fetch(url, {method: 'POST', body: pc.localDescription.sdp,
    headers: {'Content-Type': 'application/sdp', 'Authorization': 'Bearer ' + token}});
  if (r.status !== 201) throw new Error('WHIP ' + r.status + ': ' + await r.text());
  await pc.setRemoteDescription({type: 'answer', sdp: await r.text()});
  window.kfPublisher = pc;
  return r.headers.get('Location');
}"""

VIEW = """async ({url, token}) => {
  const pc = new RTCPeerConnection({iceServers: []});
  pc.addTransceiver('video', {direction: 'recvonly'});
  pc.addTransceiver('audio', {direction: 'recvonly'});
  const video = document.createElement('video');
  video.muted = true; video.autoplay = true; video.playsInline = true;
  document.body.appendChild(video);
  const stream = new MediaStream();
  pc.ontrack = e => { stream.addTrack(e.track); video.srcObject = stream; };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(done => {
    if (pc.iceGatheringState === 'complete') return done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && done();
  });
  const r = await fetch(url, {method: 'POST', body: pc.localDescription.sdp,
    headers: {'Content-Type': 'application/sdp', 'Authorization': 'Bearer ' + token}});
  if (r.status !== 201) throw new Error('WHEP ' + r.status + ': ' + await r.text());
  await pc.setRemoteDescription({type: 'answer', sdp: await r.text()});
  window.kfViewer = {pc, video};
}"""


@pytest.fixture
async def media_browser() -> AsyncIterator[Browser]:
    async with chromium_with_fake_media() as b:
        yield b


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    loopback_only()
    async with served_cloud(tmp_path) as s:
        try:
            yield s
        finally:
            await s.parts.media.close()


async def _page(browser: Browser, served: Served) -> tuple[Page, list[str]]:
    page = await (await browser.new_context()).new_page()
    errors = page_errors(page)
    await page.goto(f"{served.base_url}/healthz")  # the same origin as the API
    return page, errors


async def test_a_browser_publishes_and_another_watches_through_the_relay(
    media_browser: Browser, served: Served
) -> None:
    media = served.parts.media
    api = f"{served.base_url}/api/v1/media/streams/{STREAM}"
    whip, whep = f"{api}/whip", f"{api}/whep"
    publisher, pub_errors = await _page(media_browser, served)
    location = await publisher.evaluate(PUBLISH, {"url": whip, "token": media.mint_publish(STREAM)})
    assert location.startswith(f"/api/v1/media/streams/{STREAM}/whip/")

    watcher, view_errors = await _page(media_browser, served)
    await watcher.evaluate(VIEW, {"url": whep, "token": media.mint_view(STREAM, 600, "kiosk")})
    await watcher.wait_for_function("window.kfViewer.video.videoWidth > 0", timeout=30_000)
    first: Any = await watcher.evaluate("window.kfViewer.video.currentTime")
    await watcher.wait_for_function(
        f"window.kfViewer.video.currentTime > {first} + 0.5", timeout=30_000
    )
    kinds = await watcher.evaluate(
        "window.kfViewer.pc.getReceivers().filter(r => r.track.readyState === 'live')"
        ".map(r => r.track.kind).sort()"
    )
    assert kinds == ["audio", "video"]

    robot = await viewer()
    try:
        answer = await media.backend.view(STREAM, robot.offer_sdp, "aiortc")
        await accept(robot.pc, answer.answer_sdp)
        await robot.until_more_frames(10)  # Chromium's VP8, decoded by another client
        (health,) = media.health()
        assert health.passthrough and health.has_audio and health.viewers == 2
    finally:
        await robot.close()
    favicon = "status of 404"  # the browser's own /favicon.ico request on the /healthz page
    assert [e for e in pub_errors + view_errors if favicon not in e] == []
