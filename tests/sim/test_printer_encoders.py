"""Streams from three independent npm ESC/POS encoders and hand-built byte streams, through the
real printer simulators, written in pieces: the paper shows what each stream means to print, in
print order (images, QR codes and barcodes where they print, columns where they stand), one
receipt per cut, and every status request in the stream is answered.

The cases and what they must show: tests/fixtures/escpos/encoders/ (README there) and
tests/fixtures/escpos/handbuilt.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from pathlib import Path

import pytest

from protocols.escpos import EscPosDecoder, PrinterCondition, Receipt, ReceiptBuilder
from protocols.escpos.responder import STATUS_EVENTS, StatusResponder
from simulators.escpos_printer import EscPosPrinterSim
from simulators.escpos_pty import EscPosPtyPrinter
from tests.sim.printer_encoders_kit import (
    ALL_CASES,
    Case,
    chunks,
    image_problems,
    paper_lines,
    params,
    style_problems,
)

CASES = pytest.mark.parametrize("case", params(ALL_CASES))


def assert_paper(receipts: list[Receipt], case: Case) -> None:
    assert [paper_lines(r) for r in receipts] == case.receipts
    for receipt, checks in zip(receipts, case.styles, strict=False):
        assert style_problems(receipt, checks) == []
    assert image_problems(receipts, case) == []


async def send_in_pieces(port: int, pieces: list[bytes], replies: int) -> bytes:
    """Write each piece on its own (no Nagle), read the replies, half-close, read what is left."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
        answered = b""
        with contextlib.suppress(TimeoutError):  # an unanswered request shows in the result
            async with asyncio.timeout(3):
                while len(answered) < replies and (more := await reader.read(64)):
                    answered += more
        writer.write_eof()
        async with asyncio.timeout(5):
            return answered + await reader.read()  # b"" once the printer closes: no extras
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


@CASES
async def test_tcp_printer(case: Case, tmp_path: Path) -> None:
    async with EscPosPrinterSim("127.0.0.1", 0, tmp_path) as sim:
        answered = await send_in_pieces(sim.port, chunks(case, seed=1), len(case.replies))
        await sim.wait_for_closed(1)
    assert answered == case.replies
    assert_paper(sim.receipts, case)
    for n, lines in enumerate(case.receipts, start=1):  # the files a person reads
        text = (tmp_path / f"{n}.txt").read_text(encoding="utf-8")
        assert [line.rstrip() for line in text.splitlines()] == lines
    assert not (tmp_path / f"{len(case.receipts) + 1}.txt").exists()


async def print_on_pty(case: Case, out: Path, seed: int) -> tuple[EscPosPtyPrinter, bytes]:
    """The case written to the pty printer piece by piece, each piece only after the printer
    has read the one before (so the splits are exactly the case's plus random ones); returns
    the printer once every receipt's files are written (on leaving it), and what it answered."""
    (out / "dev").mkdir()
    async with EscPosPtyPrinter(out / "dev", out_dir=out) as sim:
        fd = os.open(sim.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            sent = 0
            async with asyncio.timeout(10):
                for piece in chunks(case, seed=seed):
                    os.write(fd, piece)
                    sent += len(piece)
                    await sim.wait_for(lambda n=sent: len(sim.stream) >= n)
            answered = _read_available(fd)
        finally:
            os.close(fd)
    return sim, answered


@CASES
async def test_pty_printer(case: Case, tmp_path: Path) -> None:
    sim, answered = await print_on_pty(case, tmp_path, seed=2)
    assert bytes(sim.stream) == case.data
    assert answered == case.replies
    assert_paper(sim.receipts, case)
    for n, lines in enumerate(case.receipts, start=1):
        text = (tmp_path / f"{n}.txt").read_text(encoding="utf-8")
        assert [line.rstrip() for line in text.splitlines()] == lines


def _read_available(fd: int) -> bytes:
    out = b""
    with contextlib.suppress(BlockingIOError):
        while chunk := os.read(fd, 4096):
            out += chunk
    return out


@CASES
def test_byte_by_byte(case: Case) -> None:
    """The hardest split: one byte per write, through the decoder the simulators run."""
    decoder, builder, responder = EscPosDecoder(), ReceiptBuilder(), StatusResponder()
    receipts, answered = [], b""
    for i in range(len(case.data)):
        for event in decoder.feed(case.data[i : i + 1]):
            if isinstance(event, STATUS_EVENTS):
                answered += responder.answer(event, PrinterCondition())
            elif (receipt := builder.add(event)) is not None:
                receipts.append(receipt)
    for event in decoder.flush():
        if (receipt := builder.add(event)) is not None:
            receipts.append(receipt)
    if (tail := builder.finish()) is not None:
        receipts.append(tail)
    assert answered == case.replies
    assert_paper(receipts, case)
