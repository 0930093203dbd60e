"""What a test's TCP server owes the suite: every connection it accepts is closed by its own
code, whatever ends it — a cut, the server's exit, the test's loop cancelling the handler, or
a handler task that never got to run. A socket left to the garbage collector warns (and,
warnings being errors, fails) in whichever *later* test the collection happens to run.

asyncio calls ``client_connected_cb`` synchronously as the connection is made and only then
schedules the coroutine it returns, so :meth:`Accepting._accept` (a plain function) knows each
writer before its handler's first step."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class Accepting:
    """Mixin: pass ``self._accept`` to ``asyncio.start_server``, serve in :meth:`_forward`,
    and await :meth:`_close_accepted` on exit (after stopping to listen)."""

    def __init__(self) -> None:
        self._handlers: set[asyncio.Task[None]] = set()
        """Accepted connections being served (before their pipes exist, too)."""
        self._accepted: set[asyncio.StreamWriter] = set()
        """Every accepted connection not yet closed, from the moment asyncio made it."""
        self._exited = False

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Coroutine[Any, Any, None]:
        self._accepted.add(writer)
        if self._exited:  # accepted just before the listener closed
            writer.transport.abort()
        return self._handle(reader, writer)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._forward(reader, writer)
        finally:
            self._handlers.discard(task)
            self._accepted.discard(writer)
            writer.transport.abort()

    async def _close_accepted(self) -> None:
        self._exited = True
        for handler in list(self._handlers):  # e.g. one still connecting upstream
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        for writer in list(self._accepted):  # accepted, its handler task not yet started
            writer.transport.abort()
