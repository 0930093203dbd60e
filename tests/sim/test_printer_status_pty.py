"""Status answers of the pty printer simulator (a serial cable / ``/dev/usb/lp0``): the same
conversation as over TCP, on a real pseudo-terminal opened by path as a host opens it."""

from __future__ import annotations

import asyncio
import os
import tty
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from protocols.escpos import PrinterCondition, decode_receipts
from simulators.escpos_pty import EscPosPtyPrinter

ESC, GS, DLE = b"\x1b", b"\x1d", b"\x10"
CUT = GS + b"V\x00"


class Host:
    """The host end: the pty slave opened by path, raw, read without blocking the loop."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(self.fd)
        self._got = bytearray()
        self._more = asyncio.Event()
        asyncio.get_running_loop().add_reader(self.fd, self._readable)

    def _readable(self) -> None:
        try:
            self._got += os.read(self.fd, 256)
        except BlockingIOError:
            return
        self._more.set()

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)

    async def read(self, n: int, timeout: float = 3.0) -> bytes:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while len(self._got) < n:
                self._more.clear()
                await self._more.wait()
        out = bytes(self._got[:n])
        del self._got[:n]
        return out

    async def nothing_more(self) -> None:
        """A DLE EOT 1 probe's answer is the next byte: nothing else was sent."""
        self.write(DLE + b"\x04\x01")
        assert await self.read(1) in (b"\x12", b"\x1a")

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.fd)
        os.close(self.fd)


@pytest.fixture
async def printer(tmp_path: Path) -> AsyncIterator[EscPosPtyPrinter]:
    async with EscPosPtyPrinter(tmp_path) as sim:
        yield sim


@pytest.fixture
async def host(printer: EscPosPtyPrinter) -> AsyncIterator[Host]:
    end = Host(printer.path)
    try:
        yield end
    finally:
        end.close()


async def test_gs_r_near_end_and_held_while_paper_out(
    printer: EscPosPtyPrinter, host: Host
) -> None:
    printer.condition = PrinterCondition(near_end=True)
    host.write(b"a\n" + GS + b"r\x01")  # GS r 1: paper sensor
    assert await host.read(1) == b"\x03"
    printer.condition = PrinterCondition(paper_out=True)
    host.write(GS + b"r1")
    await host.nothing_more()  # offline: GS r waits, the real-time probe answers (0x1a)
    printer.condition = PrinterCondition()
    assert await host.read(1) == b"\x00"


async def test_asb_on_a_condition_flip(printer: EscPosPtyPrinter, host: Host) -> None:
    host.write(GS + b"a\x08")  # GS a n: paper roll sensor
    assert await host.read(4) == b"\x10\x00\x00\x00"
    printer.condition = PrinterCondition(near_end=True)
    assert await host.read(4) == b"\x10\x00\x03\x00"
    printer.silent = True
    printer.condition = PrinterCondition()  # a silent printer says nothing, even by itself
    printer.silent = False
    await host.nothing_more()


async def test_gs_i_and_dle_enq(printer: EscPosPtyPrinter, host: Host) -> None:
    host.write(DLE + b"\x05\x02" + GS + b"IE" + GS + b"I\x03")  # DLE ENQ 2: no answer
    assert await host.read(16) == b"_CHINA GB18030\x00\x01"
    await host.nothing_more()


async def test_split_writes_and_trailing_feeds(printer: EscPosPtyPrinter, host: Host) -> None:
    data = ESC + b"@" + "办事𠮷".encode("gb18030") + b"\n" + GS + b"kI\x05{B123" + CUT
    for i in range(len(data)):  # one byte per write: inside the 4-byte character, inside GS k
        host.write(data[i : i + 1])
    host.write(b"\n\n" + ESC + b"@" + CUT)  # blank paper fed and cut: not a receipt
    await host.nothing_more()  # everything before the probe was decoded
    assert [r.items for r in printer.receipts] == [decode_receipts(data)[0].items]
    assert printer.receipts[0].render() == "办事𠮷\n[BARCODE CODE128] 123\n"


async def test_dle_enq_2_discards_the_unfinished_receipt(
    printer: EscPosPtyPrinter, host: Host
) -> None:
    # DLE ENQ 2: recover from an error, clearing the receive and print buffers
    host.write(b"lost\n" + DLE + b"\x05\x02" + b"kept\n" + CUT)
    await host.nothing_more()
    assert [r.lines for r in printer.receipts] == [["kept"]]
