"""A webhook receiver as a customer would write one, from docs/notifications.md: it checks
the signature with its own code (not the cloud's), keeps each notice once by ``key``, and
can be told to fail."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SECRET = "receiver-secret-0123456789"


def signature_ok(secret: bytes, header: str, body: bytes, tolerance_s: int = 300) -> bool:
    """The docs' verification recipe, verbatim."""
    fields = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    if "t" not in fields or "v1" not in fields:
        return False
    timestamp = int(fields["t"])
    expected = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - timestamp) <= tolerance_s
    return hmac.compare_digest(expected, fields["v1"]) and fresh


@dataclass
class WebhookReceiver:
    secret: str = SECRET
    #: answer the next ``fail_remaining`` requests with ``fail_status``
    fail_remaining: int = 0
    fail_status: int = 503
    #: hold every answer until this is set (a receiver that hangs)
    release: asyncio.Event | None = None
    #: the notices kept, in order (one per key)
    notices: list[dict[str, Any]] = field(default_factory=list)
    #: every request: (status answered, key or "")
    requests: list[tuple[int, str]] = field(default_factory=list)
    bad_signatures: int = 0
    duplicates: int = 0
    url: str = ""
    port: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None

    async def start(self, port: int = 0) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def wait(self, predicate: Any) -> None:
        """Until ``predicate(self)`` holds (callers bound the wait with asyncio.timeout)."""
        async with self.changed:
            await self.changed.wait_for(lambda: predicate(self))

    def keys(self) -> list[str]:
        return [n["key"] for n in self.notices]

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        status = await self._answer(request, body)
        if self.release is not None:
            await self.release.wait()
        return web.json_response({"ok": status == 200}, status=status)

    async def _answer(self, request: web.Request, body: bytes) -> int:
        header = request.headers.get("X-Kfleet-Signature", "")
        async with self.changed:
            key = ""
            if not signature_ok(self.secret.encode(), header, body):
                self.bad_signatures += 1
                status = 401
            elif self.fail_remaining > 0:
                self.fail_remaining -= 1
                status = self.fail_status
            else:
                notice = json.loads(body)
                key = notice["key"]
                if key in self.keys():
                    self.duplicates += 1  # a redelivery: acknowledged, not kept twice
                else:
                    self.notices.append(notice)
                status = 200
            self.requests.append((status, key))
            self.changed.notify_all()
        return status
