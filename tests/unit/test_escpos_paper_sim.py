"""The TCP printer simulator writes each receipt's PNG beside its .bin and .txt — and a
rendering failure costs the picture only, never the receipt."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from protocols.escpos import paper, status_byte
from protocols.escpos.paper import MARGIN, receipt_png
from protocols.escpos.status import PrinterCondition
from simulators.escpos_printer import EscPosPrinterSim, Faults
from simulators.escpos_pty import EscPosPtyPrinter

JOB = b"\x1b@\x1ba\x01\x1b!\x30A023\n\x1b!\x00" + "取号".encode("gb18030") + b"\n\n\n\x1dV\x01"


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[EscPosPrinterSim]:
    printer = EscPosPrinterSim("127.0.0.1", 0, tmp_path / "out", Faults())
    await printer.start()
    try:
        yield printer
    finally:
        await printer.stop()


async def send(port: int, data: bytes) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def test_each_receipt_gets_its_png(sim: EscPosPrinterSim) -> None:
    await send(sim.port, JOB + JOB)
    receipts = await sim.wait_for_receipts(2, timeout=20)
    for n, receipt in enumerate(receipts, start=1):
        png = (sim.out_dir / f"{n}.png").read_bytes()
        assert png == receipt_png(receipt)  # the paper of exactly this receipt
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.width == receipt.paper_dots + 2 * MARGIN
        assert (sim.out_dir / f"{n}.txt").exists() and (sim.out_dir / f"{n}.bin").exists()
    assert not list(sim.out_dir.glob(".*.tmp"))


async def test_a_rendering_failure_keeps_the_receipt(
    sim: EscPosPrinterSim, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("renderer bug")

    monkeypatch.setattr(paper, "render_items", broken)
    with caplog.at_level(logging.ERROR, logger="protocols.escpos.paper"):
        await send(sim.port, JOB)
        await sim.wait_for_receipts(1, timeout=20)
    assert (sim.out_dir / "1.txt").read_text(encoding="utf-8").strip()
    assert (sim.out_dir / "1.bin").read_bytes() == JOB
    assert not (sim.out_dir / "1.png").exists()
    assert "receipt PNG not rendered" in caplog.text


async def test_drawing_a_receipt_does_not_stall_the_printer(
    sim: EscPosPrinterSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PNG is drawn off the event loop: another host's status query is answered while
    a receipt is still being drawn."""
    drawing, release = threading.Event(), threading.Event()
    real = paper.render_items

    def slow(*args: object, **kwargs: object) -> object:
        drawing.set()
        release.wait(20)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(paper, "render_items", slow)
    job = asyncio.create_task(send(sim.port, JOB))
    try:
        assert await asyncio.to_thread(drawing.wait, 20)
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
        writer.write(b"\x10\x04\x01")  # DLE EOT 1
        await writer.drain()
        reply = await asyncio.wait_for(reader.readexactly(1), 10)
        assert reply[0] == status_byte(1, PrinterCondition())
        assert not sim.receipts  # the receipt was still being drawn
        writer.close()
        await writer.wait_closed()
    finally:
        release.set()
        await job
    await sim.wait_for_receipts(1, timeout=20)
    assert (sim.out_dir / "1.png").exists()


async def test_the_pty_printer_writes_each_receipts_png_too(tmp_path: Path) -> None:
    out = tmp_path / "pty-out"
    async with EscPosPtyPrinter(tmp_path, out_dir=out) as printer:
        fd = os.open(printer.path, os.O_WRONLY | os.O_NOCTTY)
        try:
            os.write(fd, JOB + JOB)
        finally:
            os.close(fd)
        async with asyncio.timeout(20):
            await printer.wait_for(lambda: (out / "2.txt").exists())
        for n, receipt in enumerate(printer.receipts, start=1):
            assert (out / f"{n}.png").read_bytes() == receipt_png(receipt)
            assert (out / f"{n}.txt").read_text(encoding="utf-8") == receipt.render()
    assert not list(out.glob(".*.tmp"))
