"""An ESC/POS receipt printer on a pseudo-terminal: the far end of a serial cable, or of a
kernel printer node such as ``/dev/usb/lp0`` (both are character devices that carry bytes
both ways, which a pty is too).

The host opens ``path``, a symlink to the pty slave (as ``/dev/serial/by-id/...`` or a udev
``/dev/usb/lp0`` link would be). What the host writes is decoded with ``protocols.escpos``;
each cut ends a receipt (``receipts``); ``stream`` keeps every byte received. Status requests
(``DLE EOT``, ``GS r``, ``GS I``, ``GS a`` automatic status back, ``DLE DC4``) are answered by
``protocols.escpos.StatusResponder`` for the printer's ``condition``, unless a fault says
otherwise; assigning a new ``condition`` pushes what a printer sends by itself (ASB, ``GS r``
answers held while offline).

Fault switches are plain attributes and may change while the simulator runs:

- ``silent``: status requests are never answered;
- ``answers``: scripted replies, one per ``DLE EOT`` status query in order (``b""`` = no
  answer, several bytes = noise or a torn answer); once used up, queries get the real status
  byte again;
- ``vanish_after``: after this many bytes from the host the device disappears (pty closed,
  symlink removed) — the cable pulled or the USB printer switched off mid-job.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import tty
from collections.abc import Callable
from pathlib import Path
from typing import Self

from protocols.escpos import (
    PAPER_80MM,
    EscPosDecoder,
    Event,
    PrinterCondition,
    Receipt,
    ReceiptBuilder,
    StatusQuery,
)
from protocols.escpos.paper import receipt_png_or_none
from protocols.escpos.responder import STATUS_EVENTS, StatusResponder, clears_buffers

#: bytes read per wake-up: small, so a fault after N bytes lands inside a job
_CHUNK = 256


class EscPosPtyPrinter:
    """An ESC/POS printer behind a pty; start it inside a running event loop."""

    def __init__(
        self,
        link_dir: Path | None = None,
        name: str = "lp0",
        out_dir: Path | None = None,
        paper_dots: int = PAPER_80MM,
    ) -> None:
        self.paper_dots = paper_dots  # 576: 80 mm paper; 384: 58 mm
        self._condition = PrinterCondition()
        self.responder = StatusResponder()
        self.silent = False
        self.answers: list[bytes] = []
        self.vanish_after: int | None = None
        self._own_dir = link_dir is None
        self._dir = link_dir or Path(tempfile.mkdtemp(prefix="kf-escpos-pty-"))
        self._link = self._dir / name
        self._master: int | None = None
        self._slave: int | None = None
        self._decoder = EscPosDecoder()
        self._builder = ReceiptBuilder(paper_dots)
        self._changed = asyncio.Event()
        #: receipts completed by a cut, in order
        self.receipts: list[Receipt] = []
        #: every byte the host sent (jobs and status queries)
        self.stream = bytearray()
        self.queries = 0  # status queries seen
        #: where each receipt goes as ``<n>.png`` (drawn off the loop) then ``<n>.txt``
        self.out_dir = out_dir
        self._saving: asyncio.Task[None] | None = None  # the last receipt being written

    @property
    def condition(self) -> PrinterCondition:
        return self._condition

    @condition.setter
    def condition(self, condition: PrinterCondition) -> None:
        """The printer's condition changes: it sends ASB / held ``GS r`` answers by itself."""
        self._condition = condition
        reply = self.responder.changed(condition)
        if reply and not self.silent:
            self._write(reply)

    @property
    def path(self) -> str:
        return str(self._link)

    @property
    def present(self) -> bool:
        return self._master is not None

    async def __aenter__(self) -> Self:
        self.plug()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._saving is not None:  # receipts still being drawn are written first
            await self._saving
        self.unplug()
        if self._own_dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    def plug(self) -> None:
        """A fresh pty behind ``path``, in raw mode (no echo, no CR/LF translation)."""
        if self.present:
            return
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        tmp = self._link.with_suffix(".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(os.ttyname(slave))
        tmp.replace(self._link)
        asyncio.get_running_loop().add_reader(master, self._readable)

    def unplug(self) -> None:
        """The device disappears: its node goes, open handles get EIO."""
        if self._master is None:
            return
        asyncio.get_running_loop().remove_reader(self._master)
        self._link.unlink(missing_ok=True)
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None
        self._notify()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Wait until ``predicate()`` holds (bound it with ``asyncio.timeout``)."""
        while True:
            changed = self._changed
            if predicate():
                return
            await changed.wait()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _save(self, receipt: Receipt, n: int) -> None:
        if self.out_dir is not None:
            before = self._saving
            self._saving = asyncio.get_running_loop().create_task(
                self._write_files(receipt, n, before)
            )

    async def _write_files(
        self, receipt: Receipt, n: int, before: asyncio.Task[None] | None
    ) -> None:
        assert self.out_dir is not None
        png = await asyncio.to_thread(receipt_png_or_none, receipt)  # slow: off the loop
        if before is not None:
            await before  # files appear in receipt order
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for name, data in ((f"{n}.png", png), (f"{n}.txt", receipt.render().encode())):
            if data is not None:  # atomically, n.txt last: who sees it sees both whole
                tmp = self.out_dir / f".{name}.tmp"
                tmp.write_bytes(data)
                os.replace(tmp, self.out_dir / name)
        self._notify()

    def _readable(self) -> None:
        if self._master is None:
            return
        limit = self.vanish_after
        size = _CHUNK if limit is None else max(1, min(_CHUNK, limit - len(self.stream)))
        try:
            data = os.read(self._master, size)
        except OSError:  # EAGAIN, or EIO while no host has the slave open
            return
        self.stream += data
        self._feed(data)
        if limit is not None and len(self.stream) >= limit:
            self.unplug()
        self._notify()

    def _feed(self, data: bytes) -> None:
        for event in self._decoder.feed(data):
            if isinstance(event, STATUS_EVENTS):
                self._answer(event)
                if clears_buffers(event):
                    self._builder = ReceiptBuilder(self.paper_dots)
                continue
            receipt = self._builder.add(event)
            if receipt is not None:
                self.receipts.append(receipt)
                self._save(receipt, len(self.receipts))

    def _answer(self, event: Event) -> None:
        if isinstance(event, StatusQuery):
            self.queries += 1
            if self.answers:
                self._write(self.answers.pop(0))
                return
        reply = self.responder.answer(event, self._condition)
        if not self.silent:
            self._write(reply)

    def _write(self, reply: bytes) -> None:
        if reply and self._master is not None:
            with contextlib.suppress(OSError):
                os.write(self._master, reply)
