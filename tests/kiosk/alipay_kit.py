"""The simulated Alipay gateway, our channel pointed at it, and a notify endpoint that does what
the cloud's ``POST /api/v1/pay/notify/alipay`` does with a notification (verify, reply)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from cloud.kiosk.pay.alipay import AlipayChannel
from cloud.kiosk.pay.alipay_sign import load_public_key
from cloud.kiosk.pay.channel import ChannelOrder, ForgedNotification, Notification
from simulators.alipay_gateway import GATEWAY_PATH, AlipayGatewaySim
from simulators.alipay_gateway_sign import bare_public, new_key

APP_ID = "2021000122671234"


@functools.cache
def app_key() -> rsa.RSAPrivateKey:
    """The test app's key, made once per run (a 2048-bit key takes a while)."""
    return new_key()


@dataclass
class Inbox:
    """What the notify endpoint received: verified notifications and refusals, in order."""

    channel: AlipayChannel
    accepted: list[Notification] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            note = self.channel.verify_notify(body, request.content_type, dict(request.headers))
        except ForgedNotification as err:
            status, media, reply = self.channel.notify_reply(False)
            async with self.changed:
                self.refused.append(str(err))
                self.changed.notify_all()
        else:
            status, media, reply = self.channel.notify_reply(True)
            async with self.changed:
                self.accepted.append(note)
                self.changed.notify_all()
        return web.Response(status=status, body=reply, content_type=media)

    async def wait(self, done: Callable[[Inbox], bool], timeout_s: float = 10.0) -> None:
        async with asyncio.timeout(timeout_s), self.changed:
            await self.changed.wait_for(lambda: done(self))


@asynccontextmanager
async def alipay_world(
    timeout_s: float = 2.0, **sim_options: Any
) -> AsyncIterator[tuple[AlipayGatewaySim, AlipayChannel, Inbox]]:
    """A gateway that knows our app, our channel, and an inbox at the orders' notify_url."""
    key = app_key()
    async with AlipayGatewaySim(apps={APP_ID: bare_public(key.public_key())}, **sim_options) as sim:
        channel = AlipayChannel(
            sim.url + GATEWAY_PATH, APP_ID, key, load_public_key(sim.public_key), timeout_s
        )
        inbox = Inbox(channel)
        app = web.Application()
        app.router.add_post("/notify", inbox.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        inbox.url = f"http://127.0.0.1:{port}/notify"
        try:
            yield sim, channel, inbox
        finally:
            await channel.aclose()
            await runner.cleanup()


def order(
    inbox: Inbox, out_trade_no: str, amount_fen: int = 8650, timeout_s: int = 300
) -> ChannelOrder:
    return ChannelOrder(
        out_trade_no=out_trade_no,
        amount_fen=amount_fen,
        subject="格尔木市自来水公司 水费 2026-11",
        notify_url=inbox.url,
        timeout_s=timeout_s,
    )
