"""A TCP proxy the test controls: the network between an agent and its broker.

``partition()`` cuts every open connection and refuses new ones (accepted, then closed at
once, as a firewall that resets them). ``blackhole()`` cuts the link *silently*, as a cable
pulled two hops away: nothing is forwarded either way, no socket is closed (no FIN, no RST),
new connections are accepted and held; only keepalives can tell. ``heal()`` lets everything
through again: what was held flows on (as TCP would retransmit it), and a side that gave up
meanwhile is seen closing only then. ``strand()`` resets the clients' side only and leaves
the servers' side open and silent (the device's network changed under it: it knows at once,
the broker only by the keepalive); with ``retarget()`` new connections go to another server
(a load balancer in front of a broker cluster). It runs on the test's event loop, so the
agent on the other side may be in-process or a real process.
"""

from __future__ import annotations

import asyncio
import contextlib

from tests.faults.accepting import Accepting

_CHUNK = 65536
_Pair = tuple[asyncio.StreamWriter, asyncio.StreamWriter]  # client side, server side


class TcpProxy(Accepting):
    """Forwards ``127.0.0.1:<port>`` to ``127.0.0.1:<target_port>``."""

    def __init__(self, target_port: int) -> None:
        super().__init__()
        self.target_port = target_port
        self.accepted = 0
        """Connections forwarded to the target."""
        self.refused = 0
        """Connections closed at once because of a partition."""
        self._open = True
        self._flowing = asyncio.Event()
        self._flowing.set()
        self.held = 0
        """Connections accepted while blackholed (forwarded only after :meth:`heal`)."""
        self._server: asyncio.Server | None = None
        self._pairs: dict[_Pair, list[asyncio.Task[None]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stranded: list[asyncio.StreamWriter] = []

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def open_connections(self) -> int:
        return len(self._pairs)

    async def __aenter__(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.partition()
        self._flowing.set()  # let held pipes see their aborted sockets and end
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._close_accepted()
        for up in self._stranded:
            up.transport.abort()

    def partition(self) -> None:
        """Cut every connection (both sides) and refuse new ones until :meth:`heal`."""
        self._open = False
        for down, up in list(self._pairs):
            down.transport.abort()
            up.transport.abort()
        self._pairs.clear()

    def strand(self) -> None:
        """Reset the client side of every open connection; the server side stays open and
        hears nothing more (until the proxy exits). New connections go through as usual."""
        for (down, up), pipes in list(self._pairs.items()):
            self._stranded.append(up)
            for pipe in pipes:
                pipe.cancel()
            down.transport.abort()

    def retarget(self, target_port: int) -> None:
        """Send new connections to ``127.0.0.1:target_port``; open ones stay where they are."""
        self.target_port = target_port

    def blackhole(self) -> None:
        """Stop forwarding in both directions and close nothing, until :meth:`heal`."""
        self._flowing.clear()

    @property
    def blackholed(self) -> bool:
        return not self._flowing.is_set()

    def heal(self) -> None:
        self._open = True
        self._flowing.set()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        early = b""
        if self.blackholed:
            held = await self._hold(reader)
            if held is None:  # the client gave up: its connection never reached the target
                writer.transport.abort()
                return
            early = held
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
        try:
            up_writer.write(early)
            async with asyncio.TaskGroup() as tg:
                pipes = self._pairs[pair] = [
                    tg.create_task(_pipe(reader, up_writer, self._flowing)),
                    tg.create_task(_pipe(up_reader, writer, self._flowing)),
                ]
                for task in pipes:
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
        finally:
            self._pairs.pop(pair, None)
            writer.transport.abort()
            if up_writer not in self._stranded:
                up_writer.transport.abort()

    async def _hold(self, reader: asyncio.StreamReader) -> bytes | None:
        """A connection accepted while blackholed: what its client sent until :meth:`heal`
        (as if its SYN got through only then), or None if the client closed it meanwhile."""
        self.held += 1
        sent = bytearray()
        healed = asyncio.ensure_future(self._flowing.wait())
        try:
            while not healed.done():
                read = asyncio.ensure_future(reader.read(_CHUNK))
                await asyncio.wait({read, healed}, return_when=asyncio.FIRST_COMPLETED)
                if not read.done():
                    read.cancel()  # nothing was read: cancelling loses nothing
                    break
                try:
                    chunk = read.result()
                except (ConnectionError, OSError):
                    return None
                if not chunk:
                    return None
                sent += chunk
        finally:
            healed.cancel()
        return bytes(sent)


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, flowing: asyncio.Event
) -> None:
    """Copy until either side ends; then close both (the other pipe ends with them).

    While ``flowing`` is clear nothing is read (the kernel buffers it, then the sender's
    window closes) and nothing read is written, an end included: a silent link."""
    with contextlib.suppress(ConnectionError, OSError):
        while True:
            await flowing.wait()
            chunk = await reader.read(_CHUNK)
            await flowing.wait()  # a read that was pending when the link went silent
            if not chunk:
                break
            writer.write(chunk)
            await writer.drain()
    writer.transport.abort()
