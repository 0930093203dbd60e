"""Test kit for the bank channels: the merchant's notify endpoint (the way the order service's
``POST /api/v1/pay/notify/{channel}`` uses a channel: verify, then reply) and a phone that
confirms or cancels on the simulator's page."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

import httpx
from aiohttp import web

from cloud.kiosk.pay.channel import ForgedNotification, Notification, PaymentChannel


@dataclass
class NotifySink:
    """Receives notifications at ``/api/v1/pay/notify/<channel>`` and verifies each."""

    channel: PaymentChannel | None = None
    accepted: list[Notification] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    url: str = ""
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None

    def notify_url(self, channel: str) -> str:
        return f"{self.url}/api/v1/pay/notify/{channel}"

    async def __aenter__(self) -> NotifySink:
        app = web.Application()
        app.router.add_post("/api/v1/pay/notify/{channel}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        assert self.channel is not None
        body = await request.read()
        try:
            note = self.channel.verify_notify(body, request.content_type, dict(request.headers))
        except ForgedNotification as exc:
            async with self.changed:
                self.refused.append(str(exc))
                self.changed.notify_all()
            status, media, reply = self.channel.notify_reply(False)
            return web.Response(status=status, body=reply, content_type=media)
        async with self.changed:
            self.accepted.append(note)
            self.changed.notify_all()
        status, media, reply = self.channel.notify_reply(True)
        return web.Response(status=status, body=reply, content_type=media)

    async def wait(self, accepted: int = 0, refused: int = 0) -> None:
        async with self.changed:
            await asyncio.wait_for(
                self.changed.wait_for(
                    lambda: len(self.accepted) >= accepted and len(self.refused) >= refused
                ),
                10,
            )


async def phone(qr_content: str, act: str) -> str:
    """Open the QR's page like a phone and press confirm or cancel; the page after it."""
    async with httpx.AsyncClient(timeout=5) as client:
        page = await client.get(qr_content)
        assert page.status_code == 200, page.text
        action = re.search(rf'action="([^"]+/{act})"', page.text)
        assert action is not None, page.text
        base = qr_content.split("/pay/")[0]
        done = await client.post(base + action.group(1))
        return done.text
