"""Status answers of the TCP printer simulator as a real printer gives them, over real TCP:
``GS r`` in order with the print data (held while offline), automatic status back pushed when
a fault flips, ``GS I`` IDs, ``DLE ENQ`` / ``DLE DC4``; streams split across writes; paper fed
after the last cut is not a receipt."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from protocols.escpos import PAPER_58MM, decode_receipts
from simulators.escpos_printer import EscPosPrinterSim, Faults

ESC, GS, DLE = b"\x1b", b"\x1d", b"\x10"
CUT = GS + b"V\x00"
GS_R1, GS_R2 = GS + b"r\x01", GS + b"r\x02"  # GS r n: transmit paper / drawer status
Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[EscPosPrinterSim]:
    async with EscPosPrinterSim("127.0.0.1", 0, tmp_path / "out", Faults()) as printer:
        yield printer


@pytest.fixture
async def conn(sim: EscPosPrinterSim) -> AsyncIterator[Conn]:
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    try:
        yield reader, writer
    finally:
        writer.close()
        await writer.wait_closed()


async def write(writer: asyncio.StreamWriter, *parts: bytes) -> None:
    """Each part is its own write (its own TCP segment on loopback, drained)."""
    for part in parts:
        writer.write(part)
        await writer.drain()


async def read(reader: asyncio.StreamReader, n: int, timeout: float = 3.0) -> bytes:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        return await reader.readexactly(n)


async def nothing_more(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Prove nothing else was sent: a DLE EOT 1 probe's answer is the next byte."""
    await write(writer, DLE + b"\x04\x01")
    assert await read(reader, 1) == b"\x12"


async def test_gs_r_answered_in_order_with_near_end(sim: EscPosPrinterSim, conn: Conn) -> None:
    reader, writer = conn
    sim.faults.near_end = True
    sim.faults.drawer_high = True
    # split inside GS r 1 (between "r" and n) and inside GS r 2
    await write(writer, b"line 1\n" + GS + b"r", b"\x01line 2\n" + GS_R2[:1], GS_R2[1:])
    assert await read(reader, 2) == b"\x03\x01"  # near end bits 0-1; drawer pin 3 HIGH
    await nothing_more(reader, writer)


async def test_gs_r_held_while_paper_out_then_answered(sim: EscPosPrinterSim, conn: Conn) -> None:
    reader, writer = conn
    sim.faults.paper_out = True
    await write(writer, GS_R1, DLE + b"\x04\x04")
    assert await read(reader, 1) == b"\x7e"  # DLE EOT 4 is real-time: it overtakes GS r
    sim.faults.paper_out, sim.faults.near_end = False, True  # a nearly used roll goes in
    assert await read(reader, 1) == b"\x03"  # the held GS r 1, answered now
    await nothing_more(reader, writer)


async def test_asb_pushed_when_a_fault_flips(sim: EscPosPrinterSim, conn: Conn) -> None:
    reader, writer = conn
    await write(writer, GS + b"a\x0a")  # GS a n: online/offline (bit 1) + paper sensor (bit 3)
    assert await read(reader, 4) == b"\x10\x00\x00\x00"  # sent at once when enabled
    sim.faults.paper_out = True  # the host writes nothing: the printer speaks
    assert await read(reader, 4) == b"\x18\x00\x0f\x00"
    sim.faults.drawer_high = True  # drawer (bit 0) not enabled: no ASB
    sim.faults = Faults(cover_open=True)  # swapping the switches counts as a change
    assert await read(reader, 4) == b"\x38\x00\x00\x00"
    sim.faults.cover_open = False
    assert await read(reader, 4) == b"\x10\x00\x00\x00"
    await nothing_more(reader, writer)


async def test_gs_i_identity(sim: EscPosPrinterSim, conn: Conn) -> None:
    reader, writer = conn
    await write(writer, GS + b"I\x01" + GS + b"I2" + GS + b"IC" + GS + b"IB")
    assert await read(reader, 2) == b"\x20\x03"  # model ID, type ID (2-byte chars, cutter)
    assert await read(reader, 11) == b"_KF-80 SIM\x00"
    assert await read(reader, 8) == b"_KFLEET\x00"


async def test_dle_enq_is_silent_and_dle_dc4_clears_the_job(
    sim: EscPosPrinterSim, conn: Conn
) -> None:
    reader, writer = conn
    clear = DLE + b"\x14\x08\x01\x03\x14\x01\x06\x02\x08"  # DLE DC4 fn=8: clear buffers
    await write(writer, b"lost\n" + DLE + b"\x05\x01" + clear + b"kept\n" + CUT)
    assert await read(reader, 3) == b"\x37\x25\x00"  # the clear-buffer notice, nothing before
    (receipt,) = await sim.wait_for_receipts(1)
    assert receipt.lines == ["kept"]
    await write(writer, DLE + b"\x14\x02\x01\x08")  # DLE DC4 fn=2: power-off sequence
    assert await read(reader, 3) == b"\x3b\x30\x00"
    await nothing_more(reader, writer)


async def test_trailing_feeds_after_the_cut_make_no_receipt(sim: EscPosPrinterSim) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    await write(writer, ESC + b"@only\n" + CUT, b"\n\n\n" + ESC + b"d\x04" + ESC + b"@")
    writer.close()
    await writer.wait_closed()
    await sim.wait_for_closed(1)
    assert len(sim.receipts) == 1 and not list(sim.out_dir.glob("2.*"))
    assert (sim.out_dir / "1.txt").read_text(encoding="utf-8") == "only\n"


async def test_stream_split_anywhere_prints_the_same_paper(sim: EscPosPrinterSim) -> None:
    image = GS + b"v0\x00\x02\x00\x02\x00\xff\xff\x80\x01"
    data = b"Name" + ESC + b"$\xf0\x00" + b"Qty\n" + image + "取号 A017".encode("gb18030") + b"\n"
    data += GS + b"(k\x06\x001P0abc" + GS + b"(k\x03\x001Q0" + CUT
    _, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    await write(writer, *(data[i : i + 3] for i in range(0, len(data), 3)))
    (receipt,) = await sim.wait_for_receipts(1)
    writer.close()
    await writer.wait_closed()
    assert receipt.items == decode_receipts(data)[0].items
    assert receipt.render() == "Name" + " " * 16 + "Qty\n[IMAGE 16x2]\n取号 A017\n[QR] abc\n"
    assert (sim.out_dir / "1.bin").read_bytes() == data


async def test_a_58mm_printer_wraps_at_its_width(tmp_path: Path) -> None:
    async with EscPosPrinterSim("127.0.0.1", 0, tmp_path, paper_dots=PAPER_58MM) as sim:
        _, writer = await asyncio.open_connection("127.0.0.1", sim.port)
        await write(writer, b"x" * 40 + b"\n" + CUT)  # 40 Font A cells; 32 fit in 384 dots
        (receipt,) = await sim.wait_for_receipts(1)
        writer.close()
        await writer.wait_closed()
    assert receipt.lines == ["x" * 32, "x" * 8] and receipt.paper_dots == 384
