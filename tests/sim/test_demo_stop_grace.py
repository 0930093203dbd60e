"""The demo's stop does not wait out a request left open: a console's event stream (here one
told to stay open ten minutes) is cancelled ``STOP_GRACE_S`` after the stop begins, so a
test world with a console page open ends at once instead of after the stream's window."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx

from kfleet.world.demo import DemoOptions, running_demo

WINDOW_S = 600.0  # the event stream's own end, far beyond the minute this test allows


async def _listen(client: httpx.AsyncClient, opened: asyncio.Event) -> bytes:
    """The call centre's event stream, read until the server ends or cuts it."""
    got = b""
    with contextlib.suppress(httpx.HTTPError):  # a cut stream ends mid-chunk
        async with client.stream("GET", "/api/v1/help/events") as r:
            assert r.status_code == 200, await r.aread()
            async for chunk in r.aiter_raw():
                got += chunk
                opened.set()
    return got


async def test_the_stop_cancels_an_event_stream_still_open(
    tmp_path: Path, mosquitto_url: str
) -> None:
    opts = DemoOptions(
        data_dir=tmp_path,
        broker_url=mosquitto_url,
        port=0,
        kiosks=[],
        cloud_settings={"help_events_window_s": WINDOW_S},
    )
    opened = asyncio.Event()
    # the client outlives the world: the server, not the client, must end the stream
    async with httpx.AsyncClient(timeout=None) as client, contextlib.AsyncExitStack() as stack:
        world = await stack.enter_async_context(running_demo(opts))
        client.base_url, client.headers = httpx.URL(world.base_url), world.headers
        stream = asyncio.create_task(_listen(client, opened))
        await asyncio.wait_for(opened.wait(), 30)  # the stream is open and has begun
        async with asyncio.timeout(60):  # unbounded, the stop waited out the ten minutes
            await stack.aclose()
        async with asyncio.timeout(30):
            received = await stream
    assert received.startswith(b"retry: 1000"), received
