"""The ESC/POS printer simulator over real TCP, driven by python-escpos and raw sockets."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import typer
from escpos.printer import Dummy, Network
from typer.testing import CliRunner

from protocols.escpos import status_byte
from simulators.cli_printer import register
from simulators.escpos_printer import EscPosPrinterSim, Faults

TITLE = "黄河路街道办事处"
URL = "https://gov.example/q/A023"


def ticket(p: Dummy | Network) -> None:
    p.set(align="center", bold=True, double_height=True, double_width=True)
    p.text(TITLE + "\n")
    p.set(custom_size=True, width=4, height=4)
    p.text("A023\n")
    p.set_with_default()
    p.text("前面还有 3 人\n")
    p.qr(URL, native=True, size=6)
    p.cut()


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[EscPosPrinterSim]:
    printer = EscPosPrinterSim("127.0.0.1", 0, tmp_path / "out", Faults())
    await printer.start()
    try:
        yield printer
    finally:
        await printer.stop()


def print_with_escpos(port: int) -> None:
    printer = Network("127.0.0.1", port, timeout=2)
    try:
        ticket(printer)
    finally:
        printer.close()


async def send(port: int, data: bytes) -> None:
    """Send a whole job on its own connection and close it."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def query(port: int, n: int, timeout: float = 2.0) -> bytes:  # noqa: ASYNC109
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"\x10\x04" + bytes([n]))
        async with asyncio.timeout(timeout):
            return await reader.readexactly(1)
    finally:
        writer.close()
        await writer.wait_closed()


async def test_queue_ticket_from_python_escpos(sim: EscPosPrinterSim) -> None:
    await asyncio.to_thread(print_with_escpos, sim.port)
    (receipt,) = await sim.wait_for_receipts(1)
    assert receipt.lines == [TITLE, "A023", "前面还有 3 人"]
    assert receipt.meta[0].align == "center" and receipt.meta[1].width == 4
    assert receipt.cut
    text = (sim.out_dir / "1.txt").read_text(encoding="utf-8")
    assert text == f"{TITLE}\nA023\n前面还有 3 人\n[QR] {URL}\n"
    expected = Dummy()
    ticket(expected)
    assert (sim.out_dir / "1.bin").read_bytes() == expected.output
    assert sorted(p.name for p in sim.out_dir.iterdir()) == ["1.bin", "1.png", "1.txt"]  # no .tmp


async def test_receipts_split_at_cuts_and_at_close(sim: EscPosPrinterSim) -> None:
    await send(sim.port, b"one\n\x1dV\x00two\n\x1dV\x01\x10\x04\x01three")
    await sim.wait_for_receipts(3)
    assert [r.lines for r in sim.receipts] == [["one"], ["two"], ["three"]]
    assert [r.cut for r in sim.receipts] == [True, True, False]
    assert (sim.out_dir / "2.bin").read_bytes() == b"two\n\x1dV\x01"
    assert (sim.out_dir / "3.bin").read_bytes() == b"\x10\x04\x01three"
    assert (sim.out_dir / "3.txt").read_text(encoding="utf-8") == "three\n"


async def test_connection_without_printing_writes_nothing(sim: EscPosPrinterSim) -> None:
    await send(sim.port, b"\x1b@\x1ba\x01")
    await sim.wait_for_closed(1)
    assert sim.receipts == [] and list(sim.out_dir.iterdir()) == []


async def test_numbering_continues_after_existing_receipts(tmp_path: Path) -> None:
    (tmp_path / "7.txt").write_text("old")
    async with EscPosPrinterSim("127.0.0.1", 0, tmp_path) as sim:
        await send(sim.port, b"new\n\x1dV\x00")
        await sim.wait_for_receipts(1)
    assert (tmp_path / "8.txt").read_text(encoding="utf-8") == "new\n"


HEALTHY = Faults()


@pytest.mark.parametrize(
    ("faults", "expected"),
    [
        (HEALTHY, b"\x12\x12\x12\x12"),
        (Faults(near_end=True), b"\x12\x12\x12\x1e"),
        (Faults(paper_out=True), b"\x1a\x32\x12\x7e"),
        (Faults(cover_open=True), b"\x1a\x16\x12\x12"),
        (Faults(paper_out=True, cover_open=True), b"\x1a\x36\x12\x7e"),
    ],
)
async def test_status_bytes(sim: EscPosPrinterSim, faults: Faults, expected: bytes) -> None:
    sim.faults = faults
    assert b"".join([await query(sim.port, n) for n in (1, 2, 3, 4)]) == expected
    assert bytes(status_byte(n, faults.condition) or 0 for n in (1, 2, 3, 4)) == expected


async def test_faults_change_while_connected(sim: EscPosPrinterSim) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    try:
        writer.write(b"\x10\x04\x04")
        assert await reader.readexactly(1) == b"\x12"
        sim.faults.near_end = True
        writer.write(b"\x10")  # a query split across two TCP segments
        await writer.drain()
        writer.write(b"\x04\x04")
        assert await reader.readexactly(1) == b"\x1e"
    finally:
        writer.close()
        await writer.wait_closed()


@pytest.mark.parametrize(
    ("faults", "paper", "online"),
    [
        (HEALTHY, 2, True),
        (Faults(near_end=True), 1, True),
        (Faults(paper_out=True), 0, False),
        (Faults(cover_open=True), 2, False),
    ],
)
async def test_python_escpos_reads_status(
    sim: EscPosPrinterSim, faults: Faults, paper: int, online: bool
) -> None:
    sim.faults = faults

    def read() -> tuple[int, bool]:
        printer = Network("127.0.0.1", sim.port, timeout=2)
        try:
            return printer.paper_status(), printer.is_online()
        finally:
            printer.close()

    assert await asyncio.to_thread(read) == (paper, online)


async def test_silent_printer_never_answers(sim: EscPosPrinterSim) -> None:
    sim.faults.silent = True
    with pytest.raises(TimeoutError):
        await query(sim.port, 4, timeout=0.3)

    def read() -> int:
        printer = Network("127.0.0.1", sim.port, timeout=0.3)
        try:
            return int(printer.paper_status())
        finally:
            printer.close()

    with pytest.raises(TimeoutError):  # the client times out instead of reading a status
        await asyncio.to_thread(read)


async def test_drop_mid_job_resets_and_writes_nothing(sim: EscPosPrinterSim) -> None:
    sim.faults.drop_mid_job = 50
    job = Dummy()
    ticket(job)
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    try:
        writer.write(job.output)
        with pytest.raises(ConnectionResetError):
            await writer.drain()
            await reader.read()
    finally:
        writer.close()
        with contextlib.suppress(ConnectionResetError):
            await writer.wait_closed()
    await sim.wait_for_closed(1)
    assert sim.receipts == [] and list(sim.out_dir.iterdir()) == []

    sim.faults.drop_mid_job = None  # the fault clears: the retried job prints
    await send(sim.port, job.output)
    (receipt,) = await sim.wait_for_receipts(1)
    assert receipt.qr == [URL] and (sim.out_dir / "1.txt").exists()


async def test_hold_after_bytes_stalls_mid_job_until_released(sim: EscPosPrinterSim) -> None:
    job = Dummy()
    ticket(job)
    sim.faults.hold_after_bytes = 3 + len(job.output) // 2
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    try:
        writer.write(b"\x10\x04\x02" + job.output + b"\x10\x04\x01")
        await writer.drain()
        assert await reader.readexactly(1) == b"\x12"  # answered before the hold
        await sim.wait_held(1)
        with pytest.raises(TimeoutError):  # held: the status query after the job is not read
            async with asyncio.timeout(0.2):
                await reader.readexactly(1)
        assert sim.receipts == [] and not list(sim.out_dir.glob("*.txt"))

        sim.release()
        assert await reader.readexactly(1) == b"\x12"  # the rest is read and answered
        (receipt,) = await sim.wait_for_receipts(1)
        assert receipt.qr == [URL]
    finally:
        writer.close()
        await writer.wait_closed()
    await sim.wait_for_closed(1)
    assert sim.holds == 1 and len(sim.receipts) == 1


async def test_hold_releases_when_the_simulator_stops(tmp_path: Path) -> None:
    sim = EscPosPrinterSim("127.0.0.1", 0, tmp_path, Faults(hold_after_bytes=0))
    await sim.start()
    _, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    writer.write(b"\x10\x04\x01")
    await writer.drain()
    await sim.wait_held(1)
    async with asyncio.timeout(5):
        await sim.stop()  # does not wait for a release that never comes
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()
    assert sim.receipts == []


@pytest.mark.parametrize("fault", ["paper_out", "cover_open"])
async def test_offline_printer_prints_nothing(sim: EscPosPrinterSim, fault: str) -> None:
    setattr(sim.faults, fault, True)
    await asyncio.to_thread(print_with_escpos, sim.port)
    await sim.wait_for_closed(1)
    assert sim.receipts == [] and sim.discarded == 1
    assert list(sim.out_dir.iterdir()) == []

    setattr(sim.faults, fault, False)
    await asyncio.to_thread(print_with_escpos, sim.port)
    await sim.wait_for_receipts(1)
    assert (sim.out_dir / "1.txt").read_text(encoding="utf-8").startswith(TITLE)


async def test_stop_closes_open_connections(tmp_path: Path) -> None:
    sim = EscPosPrinterSim("127.0.0.1", 0, tmp_path)
    await sim.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    writer.write(b"unfinished\x10\x04\x01")
    assert await reader.readexactly(1) == b"\x12"  # the simulator has read everything
    await sim.stop()
    assert await reader.read() == b""
    writer.close()
    await writer.wait_closed()
    assert sim.receipts == []


def test_cli_help_and_busy_port(tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)

    @app.command()
    def other() -> None:  # a second command keeps "printer" a named subcommand
        pass

    runner = CliRunner()
    result = runner.invoke(app, ["printer", "--help"])
    assert result.exit_code == 0
    for flag in ("--port", "--out", "--paper-out", "--cover-open", "--near-end", "--silent"):
        assert flag in result.output
    assert "--drop-mid-job" in result.output

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["printer", "--port", str(port), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert f"cannot start the printer simulator on 127.0.0.1:{port}" in result.output
