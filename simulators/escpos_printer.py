"""A TCP ESC/POS receipt printer (port 9100 "raw" printing) with fault switches.

Each connection's byte stream is decoded with ``protocols.escpos``. A receipt ends at each cut,
and at connection close if anything was printed since the last cut; it is written as
``<out_dir>/<n>.bin`` (the raw bytes) and then ``<out_dir>/<n>.txt`` (``Receipt.render()``,
UTF-8), each atomically (temporary file + rename), so a watcher that sees ``n.txt`` sees
both whole files. Numbering continues after the highest receipt already in ``out_dir``.

Status requests are answered as an Epson TM / Chinese-market printer answers them
(``protocols.escpos.StatusResponder``, bytes shared with the agent's driver): ``DLE EOT n``
(n = 1..4) with one real-time status byte, ``GS r 1/2`` in order with the print data (held
while the printer is offline, sent once it is back), ``GS I`` IDs, ``DLE DC4`` power-off and
clear-buffer notices, and automatic status back after ``GS a n`` — also when a fault flips
while the host is connected. Fault switches live in a mutable ``Faults`` and may change while
the simulator runs; they are read as each chunk of data arrives, and a change is pushed to every
connection (ASB, held ``GS r`` answers) at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import struct
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from protocols.escpos import (
    PAPER_80MM,
    PRINTING,
    EscPosDecoder,
    PrinterCondition,
    Receipt,
    ReceiptBuilder,
)
from protocols.escpos.paper import receipt_png_or_none
from protocols.escpos.responder import STATUS_EVENTS, StatusResponder, clears_buffers

log = logging.getLogger(__name__)


@dataclass
class Faults:
    """Fault switches; mutate them on a running simulator.

    - ``paper_out``: the printer is offline with no paper; printed data is lost (no receipt).
    - ``cover_open``: the printer is offline with its cover open; printed data is lost.
    - ``near_end``: the roll is nearly used up; printing still works.
    - ``error``: an auto-cutter error (offline; ``DLE EOT 3`` / ASB report it).
    - ``drawer_high``: the drawer kick-out connector's pin 3 reads HIGH (``GS r 2``, ASB).
    - ``silent``: status queries are never answered.
    - ``unanswered``: the next this many status queries go unanswered (a reply lost on a
      busy line or a printer busy cutting), then the printer answers again.
    - ``drop_mid_job``: after this many bytes on a connection the simulator processes those
      bytes, then resets the connection (TCP RST); the unfinished receipt is discarded.
    - ``hold_after_bytes``: after this many bytes on a connection the simulator processes
      those bytes, then stops reading (the host's writes stall, status queries go unanswered)
      until :meth:`EscPosPrinterSim.release`; then it goes on with the rest. A deterministic
      "caught in the middle of a job" for fault tests (``wait_held`` says when it happened).
    - ``reply_delay``: status replies wait a random 0..reply_delay seconds (seeded).
    - ``seed``: seeds every random choice the simulator makes (read at construction).
    """

    paper_out: bool = False
    cover_open: bool = False
    near_end: bool = False
    error: bool = False
    drawer_high: bool = False
    silent: bool = False
    unanswered: int = 0
    drop_mid_job: int | None = None
    hold_after_bytes: int | None = None
    reply_delay: float = 0.0
    seed: int = 0

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        for watcher in self.__dict__.get("_watchers", ()):
            watcher()

    def watch(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every change of a switch (the simulator pushes ASB)."""
        self.__dict__.setdefault("_watchers", []).append(callback)

    @property
    def blocks_printing(self) -> bool:
        return self.paper_out or self.cover_open

    @property
    def condition(self) -> PrinterCondition:
        """What the status bytes report (``protocols.escpos.status_byte``)."""
        return PrinterCondition(
            cover_open=self.cover_open,
            paper_out=self.paper_out,
            near_end=self.near_end,
            error=self.error,
            drawer_high=self.drawer_high,
        )


@dataclass(eq=False)
class _Connection:
    """One host connection: its decoder, receipt, status conversation and unfinished job."""

    writer: asyncio.StreamWriter
    decoder: EscPosDecoder = field(default_factory=EscPosDecoder)
    builder: ReceiptBuilder = field(default_factory=ReceiptBuilder)
    responder: StatusResponder = field(default_factory=StatusResponder)
    job: bytearray = field(default_factory=bytearray)  # raw bytes of the unfinished receipt
    job_start: int = 0  # stream offset where it starts
    spoiled: bool = False  # something was printed while the printer could not print


class EscPosPrinterSim:
    """An asyncio TCP ESC/POS printer; ``port=0`` picks a free port (see ``.port``)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        out_dir: Path | str = "receipts",
        faults: Faults | None = None,
        paper_dots: int = PAPER_80MM,
    ) -> None:
        self.host = host
        self.paper_dots = paper_dots
        """576 dots for 80 mm paper, 384 for 58 mm (``protocols.escpos.PAPER_58MM``)."""
        self._port = port
        self.out_dir = Path(out_dir)
        self._faults = Faults()
        self._connections: set[_Connection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.faults = faults if faults is not None else Faults()
        self.receipts: list[Receipt] = []
        """Receipts written by this run, in order."""
        self.discarded = 0
        """Receipts lost to paper_out / cover_open."""
        self.connections_closed = 0
        self.holds = 0
        """Connections that reached ``hold_after_bytes`` (held now or released since)."""
        self._released = asyncio.Event()
        self._rng = random.Random(self.faults.seed)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._stopping = False
        self._listening = False
        self._changed = asyncio.Condition()
        self._next = 1

    @property
    def port(self) -> int:
        return self._port

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        """Swap the fault switches (the printer's condition may change: ASB is pushed)."""
        self._faults = faults
        faults.watch(self._faults_changed)
        self._faults_changed()

    def _faults_changed(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._push_changes)

    def _push_changes(self) -> None:
        """What each connected host hears when the condition changes: ASB, held GS r."""
        for conn in list(self._connections):
            reply = conn.responder.changed(self.faults.condition)
            if reply and not self.faults.silent and not conn.writer.is_closing():
                conn.writer.write(reply)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.stem) for p in self.out_dir.glob("*.txt") if p.stem.isdigit()]
        self._next = max(numbers, default=0) + 1
        self._listening = True
        self._server = await asyncio.start_server(self._accept, self.host, self._port)
        self._port = self._server.sockets[0].getsockname()[1]
        log.info("ESC/POS printer simulator on %s:%d -> %s", self.host, self._port, self.out_dir)

    async def stop(self) -> None:
        """Stop listening and close open connections (their unfinished receipts are lost)."""
        self._stopping = True
        self._listening = False
        self._released.set()  # held connections end now
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        self._stopping = False

    async def __aenter__(self) -> EscPosPrinterSim:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # A timeout argument (ASYNC109) keeps test code short: await sim.wait_for_receipts(1, 5).
    async def wait_for_receipts(self, n: int, timeout: float = 5.0) -> list[Receipt]:  # noqa: ASYNC109
        """Wait until at least ``n`` receipts were written; raises ``TimeoutError``."""
        await self._wait(lambda: len(self.receipts) >= n, timeout)
        return self.receipts[:n]

    async def wait_held(self, n: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``n`` connections have reached ``hold_after_bytes``."""
        await self._wait(lambda: self.holds >= n, timeout)

    def release(self) -> None:
        """Let every held connection go on; later connections then pass their hold at once."""
        self._released.set()

    async def wait_for_closed(self, n: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``n`` connections have been fully handled (receipts written or lost)."""
        await self._wait(lambda: self.connections_closed >= n, timeout)

    async def _wait(self, predicate: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Coroutine[Any, Any, None]:
        """Called by asyncio as a connection is made, before its handler task first runs: from
        here on :meth:`stop` closes it even if that task never starts (a probe connecting as
        the test ends), so no socket is left to the garbage collector of a later test."""
        self._writers.add(writer)
        if not self._listening:  # accepted just before stop() closed the listener
            writer.close()
        return self._handle(reader, writer)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            self.connections_closed += 1
            await self._notify()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Connection(writer, builder=ReceiptBuilder(self.paper_dots))
        self._connections.add(conn)
        try:
            await self._serve_connection(reader, conn)
        finally:
            self._connections.discard(conn)

    async def _serve_connection(self, reader: asyncio.StreamReader, conn: _Connection) -> None:
        received = 0
        held = False  # this connection has stalled at hold_after_bytes already
        while True:
            try:
                chunk = await reader.read(65536)
            except ConnectionError:  # the host reset: what arrived is printed, as on paper
                chunk = b""
            if self._stopping:
                return
            if not chunk:
                break
            limit = self.faults.drop_mid_job
            drop = limit is not None and received + len(chunk) >= limit
            if limit is not None and drop:
                chunk = chunk[: max(limit - received, 0)]
            hold = self.faults.hold_after_bytes
            rest, hit = b"", hold is not None and not held and received + len(chunk) >= hold
            if hold is not None and hit:
                chunk, rest = chunk[: max(hold - received, 0)], chunk[max(hold - received, 0) :]
            await self._process(conn, chunk)
            if hit:  # stall here: nothing more is read (or answered) until release()
                held = True
                self.holds += 1
                await self._notify()
                await self._released.wait()
                if self._stopping:
                    return
                await self._process(conn, rest)
            received += len(chunk) + len(rest)
            if drop:
                self._reset(conn.writer)
                return
        for event, _ in conn.decoder.flush_with_offsets():
            conn.builder.add(event)
        receipt = conn.builder.finish()
        if receipt is not None:
            await self._complete(receipt, bytes(conn.job), conn.spoiled)

    async def _process(self, conn: _Connection, chunk: bytes) -> None:
        """Decode ``chunk``: answer status requests, write receipts at cuts."""
        conn.job += chunk
        for event, end in conn.decoder.feed_with_offsets(chunk):
            if isinstance(event, STATUS_EVENTS):
                await self._reply(conn, conn.responder.answer(event, self.faults.condition))
                if clears_buffers(event):  # the unfinished receipt is gone
                    conn.builder = ReceiptBuilder(self.paper_dots)
                    del conn.job[: end - conn.job_start]
                    conn.job_start, conn.spoiled = end, False
                continue
            if isinstance(event, PRINTING) and self.faults.blocks_printing:
                conn.spoiled = True
            receipt = conn.builder.add(event)
            if receipt is not None:
                cut_at = end - conn.job_start
                await self._complete(receipt, bytes(conn.job[:cut_at]), conn.spoiled)
                del conn.job[:cut_at]
                conn.job_start, conn.spoiled = end, False

    async def _reply(self, conn: _Connection, reply: bytes) -> None:
        if not reply or self.faults.silent:
            return
        if self.faults.unanswered > 0:
            self.faults.unanswered -= 1
            return
        if self.faults.reply_delay > 0:
            await asyncio.sleep(self._rng.uniform(0, self.faults.reply_delay))  # simulated latency
        conn.writer.write(reply)
        with contextlib.suppress(ConnectionError):
            await conn.writer.drain()

    @staticmethod
    def _reset(writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:  # linger 0: close() sends RST, as a printer that lost power
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async def _complete(self, receipt: Receipt, raw: bytes, spoiled: bool) -> None:
        if spoiled:
            self.discarded += 1
            log.info("receipt lost: printer offline (paper out / cover open)")
        else:
            png = await asyncio.to_thread(receipt_png_or_none, receipt)  # slow: off the loop
            n, self._next = self._next, self._next + 1
            _write_atomic(self.out_dir / f"{n}.bin", raw)
            if png is not None:  # n.png: the paper as printed; n.txt still comes last
                _write_atomic(self.out_dir / f"{n}.png", png)
            _write_atomic(self.out_dir / f"{n}.txt", receipt.render().encode())
            self.receipts.append(receipt)
        await self._notify()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
