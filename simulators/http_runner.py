"""Stopping a simulator's aiohttp server without leaving a socket to the garbage collector."""

from __future__ import annotations

import asyncio

from aiohttp import web

__all__ = ["stop_runner"]


async def stop_runner(runner: web.AppRunner) -> None:
    """``runner.cleanup()``, then close the connections the server was handed after it shut
    down. A connection the loop accepted just before the listener closed reaches the server a
    loop turn or two later (on a busy machine, after ``cleanup`` closed the ones it knew):
    left open, its socket was closed only by the garbage collector, and the ResourceWarning
    failed whichever test was running then."""
    server = runner.server
    await runner.cleanup()
    if server is None:
        return
    for _ in range(3):
        await asyncio.sleep(0)  # the accept task, then connection_made
    for handler in list(server.connections):
        handler.force_close()
