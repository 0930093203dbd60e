"""The call centre and the kiosk's 视频帮办 in Chromium with fake camera and microphone: a real
cloud app (console pages, logins, permissions) on loopback with the STAND-IN help-desk and media
routes of :mod:`tests.browser.help_standin` mounted, and a kiosk screen server (the real kiosk
routes, ``edge_agent.kiosk``) whose cloud is that app. WebRTC stays on loopback: aiortc offers
only 127.0.0.1 and Chromium may use loopback."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from playwright.async_api import Browser, Page, async_playwright
from starlette.applications import Starlette

from cloud.app import create_app, seed_sites
from cloud.settings import Settings
from edge_agent.config import AgentConfig, Role
from edge_agent.kiosk.cloud_client import KioskCloud
from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.routes import kiosk_routes
from edge_agent.kiosk.session import KioskSession
from fleet.access import PersonRole
from kfleet.world.net import free_port
from protocols.ice_hosts import restrict_ice_hosts
from tests.browser.conftest import CHROMIUM_ARGS, _chromium
from tests.browser.help_standin import StandIn, mount_standin
from tests.identity_kit import make_console_login
from tests.people.kit import FAST

KIOSK = "hhl-kiosk-01"
HHL = "qh/hx/golmud/hhl"
MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # pytest keeps its own signal handlers


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):
            while not server.started:
                if task.done():
                    await task
                    raise RuntimeError("uvicorn did not start")
                await asyncio.sleep(0.02)  # uvicorn exposes no start event
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.force_exit = True  # long polls and the event stream do not end by themselves
        await task


@dataclass
class Button:
    """The kiosk's hardware call button as its driver counts it."""

    presses: int = 0
    kind: str = "call_button"
    id: str = "help-button"

    def counters(self) -> dict[str, int]:
        return {"presses": self.presses}


@dataclass
class Kiosk:
    """What the kiosk's routes read of the agent (``KioskView``)."""

    config: AgentConfig
    peripherals: dict[str, Any] = field(default_factory=lambda: {"help-button": Button()})
    connected: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class HelpWorld:
    cloud_url: str
    kiosk_url: str  # .../kiosk
    standin: StandIn
    kiosk: Kiosk
    app: Any
    parts: KioskParts


def kiosk_config(tmp_path: Path, cloud_url: str, idle_warn_s: float = 600) -> AgentConfig:
    return AgentConfig.model_validate(
        {
            "device_id": KIOSK,
            "role": Role.KIOSK,
            "site": HHL,
            "name": "花海路 1 号自助终端",
            "data_dir": tmp_path / "agent",
            "mqtt": {"url": "mqtt://127.0.0.1:1"},
            "cloud": {"url": cloud_url},
            "kiosk": {"idle_warn_s": idle_warn_s, "idle_clear_s": 3},
        }
    )


@contextlib.asynccontextmanager
async def help_world(tmp_path: Path, idle_warn_s: float = 600) -> AsyncIterator[HelpWorld]:
    restrict_ice_hosts(["127.0.0.1"])
    app = create_app(Settings(data_dir=tmp_path / "cloud", demo=True, **FAST))
    await seed_sites(app)
    standin = mount_standin(app, KIOSK)
    try:
        async with serve(app) as cloud_url:
            view = Kiosk(kiosk_config(tmp_path, cloud_url, idle_warn_s))
            parts = KioskParts(
                view=view,
                cloud=KioskCloud(cloud_url, timeout_s=10),
                session=KioskSession(tmp_path / "session"),
            )
            async with serve(Starlette(routes=kiosk_routes(parts))) as kiosk_url:
                yield HelpWorld(cloud_url, kiosk_url + "/kiosk", standin, view, app, parts)
            await parts.cloud.close()
    finally:
        await standin.media.close()
        await app.state.parts.engine.dispose()
        restrict_ice_hosts([])


@contextlib.asynccontextmanager
async def media_browser() -> AsyncIterator[Browser]:
    """Chromium with a fake camera and microphone (a test pattern and a tone)."""
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS + MEDIA_ARGS)
        try:
            yield b
        finally:
            await b.close()


async def operator_page(browser: Browser, world: HelpWorld, username: str) -> Page:
    """A console page of an operator (help.answer, media.view), signed in."""
    sessions = world.app.state.parts.sessions
    login = await make_console_login(sessions, username, PersonRole.OPERATOR)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    await context.grant_permissions(["camera", "microphone"], origin=world.cloud_url)
    await context.add_cookies(
        [
            {"name": "kfleet_session", "value": login.cookie, "url": world.cloud_url},
            {"name": "kfleet_csrf", "value": login.csrf, "url": world.cloud_url},
        ]
    )
    return await context.new_page()


#: JS: the numbers of audio and video tracks ``sel``'s <video> plays
TRACKS_JS = """(sel) => {
  const s = document.querySelector(sel).srcObject;
  return s ? [s.getAudioTracks().length, s.getVideoTracks().length] : [0, 0];
}"""


async def playing(page: Page, selector: str, timeout_ms: float = 30_000) -> None:
    """Wait until ``selector``'s video decodes: a picture size, then its clock moving on."""
    sized = (
        "(sel) => { const v = document.querySelector(sel);"
        " return !!v && v.videoWidth > 0 && v.readyState >= 2; }"
    )
    await page.wait_for_function(sized, arg=selector, timeout=timeout_ms)
    t0 = await page.evaluate("(sel) => document.querySelector(sel).currentTime", selector)
    moved = "([sel, t0]) => document.querySelector(sel).currentTime > t0 + 0.5"
    await page.wait_for_function(moved, arg=[selector, t0], timeout=timeout_ms)
