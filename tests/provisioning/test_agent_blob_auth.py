"""The agent's blob calls carry its device credentials (HTTP Basic, the MQTT pair) to its own
cloud, and to no other address: a blob URL elsewhere never sees the secret."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from edge_agent.jobs import device_auth
from edge_agent.jobs.blob_transfer import fetch_blob, upload_blobs
from protocols.jobs import Fetch, Uploads

DOC = b"%PDF-1.4 a tiny document"


@asynccontextmanager
async def recorder(host: str) -> AsyncIterator[tuple[str, list[str]]]:
    """A blob server on ``host``; yields its base URL and each request's Authorization."""
    seen: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request.headers.get("authorization", ""))
        if request.method == "PUT":
            return web.Response(status=201)
        return web.Response(body=DOC)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://{host}:{port}", seen
    finally:
        await runner.cleanup()


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_basic_credentials_only_to_the_configured_cloud() -> None:
    sha = hashlib.sha256(DOC).hexdigest()
    async with recorder("127.0.0.1") as (cloud, seen), recorder("localhost") as (other, elsewhere):
        creds = ["kiosk-01", "first"]
        device_auth.use(device_auth.DeviceAuth(cloud, lambda: (creds[0], creds[1])))
        try:
            assert await fetch_blob(Fetch(url=f"{cloud}/api/v1/blobs/{sha}", expires=0), sha) == DOC
            creds[1] = "rotated"  # a rotation is used from the next call on
            await upload_blobs(
                Uploads(base=f"{cloud}/api/v1/blobs", grant="g", expires=0),
                [("scan", "image/jpeg", b"jpeg")],
            )
            await fetch_blob(Fetch(url=f"{other}/api/v1/blobs/{sha}", expires=0), sha)
        finally:
            device_auth.use(None)
        assert seen == [_basic("kiosk-01", "first"), _basic("kiosk-01", "rotated")]
        assert elsewhere == [""], "the device's secret went to another address"


async def test_no_credentials_configured_sends_none() -> None:
    sha = hashlib.sha256(DOC).hexdigest()
    async with recorder("127.0.0.1") as (cloud, seen):
        await asyncio.wait_for(fetch_blob(Fetch(url=f"{cloud}/b/{sha}", expires=0), sha), 10)
    assert seen == [""]
