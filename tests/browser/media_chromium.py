"""Chromium with a fake camera and microphone (a test pattern and a tone), for the media tests
that need one outside a fixture."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from playwright.async_api import Browser, async_playwright

from tests.browser.conftest import CHROMIUM_ARGS, _chromium

MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]


@contextlib.asynccontextmanager
async def media_browser() -> AsyncIterator[Browser]:
    """Chromium with fake media devices, closed at the end of the block."""
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS + MEDIA_ARGS)
        try:
            yield b
        finally:
            await b.close()
