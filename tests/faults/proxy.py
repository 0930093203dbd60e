"""A TCP proxy the test controls: the network between an agent and its broker.

``partition()`` cuts every open connection and refuses new ones (accepted, then closed at
once, as a firewall that resets them); ``heal()`` lets connections through again. It runs on
the test's event loop, so the agent on the other side may be in-process or a real process.
"""

from __future__ import annotations

import asyncio
import contextlib

_CHUNK = 65536


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``127.0.0.1:<target_port>``."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.accepted = 0
        """Connections forwarded to the target."""
        self.refused = 0
        """Connections closed at once because of a partition."""
        self._open = True
        self._server: asyncio.Server | None = None
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def open_connections(self) -> int:
        return len(self._pairs)

    async def __aenter__(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.partition()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def partition(self) -> None:
        """Cut every connection (both sides) and refuse new ones until :meth:`heal`."""
        self._open = False
        for down, up in list(self._pairs):
            down.transport.abort()
            up.transport.abort()
        self._pairs.clear()

    def heal(self) -> None:
        self._open = True

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._open:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        if not self._open:  # partitioned while connecting upstream
            self.refused += 1
            writer.transport.abort()
            up_writer.transport.abort()
            return
        self.accepted += 1
        pair = (writer, up_writer)
        self._pairs.add(pair)
        try:
            async with asyncio.TaskGroup() as tg:
                for task in (
                    tg.create_task(_pipe(reader, up_writer)),
                    tg.create_task(_pipe(up_reader, writer)),
                ):
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
        finally:
            self._pairs.discard(pair)
            writer.transport.abort()
            up_writer.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until either side ends; then close both (the other pipe ends with them)."""
    with contextlib.suppress(ConnectionError, OSError):
        while chunk := await reader.read(_CHUNK):
            writer.write(chunk)
            await writer.drain()
    writer.transport.abort()
