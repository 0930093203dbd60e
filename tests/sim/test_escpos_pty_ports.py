"""The serial and device-node ESC/POS ports against a printer on a real pty: a receipt arrives
intact, the ``DLE EOT`` status is read over the same line, and a printer that disappears in
the middle of a job is ``connection_lost`` with ``side_effect_possible`` (the job becomes
uncertain), never a crash, a hang or a silent success.

A pty slave is a character device that carries bytes both ways, as a serial port and a kernel
printer node (``/dev/usb/lp0``, the ``escpos_file`` type) do, and the driver opens it by path
as it would those.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from edge_agent.config import EscposFile, EscposSerial, EscposUsb
from edge_agent.drivers import PrinterStatus, build_printer
from edge_agent.drivers.escpos_config import EscposConfig
from edge_agent.drivers.escpos_render import render_receipt
from edge_agent.errors import PrinterError
from protocols.escpos import PrinterCondition
from protocols.jobs import FailureReason, ReceiptParams
from simulators.escpos_pty import EscPosPtyPrinter

PARAMS = ReceiptParams.model_validate(
    {
        "lines": [
            {"type": "text", "text": "唐古拉山镇便民服务中心", "align": "center", "height": 2},
            {"type": "text", "text": "取号 A017：请到 3 号窗口"},
            {"type": "qr", "data": "https://kf.example/q/A017", "size": 4},
        ],
        "copies": 2,
    }
)

Config = Callable[[str], EscposConfig]


def serial(path: str) -> EscposConfig:
    return EscposSerial(
        type="escpos_serial", id="rp", device=path, baudrate=115200, timeout_s=2,
        status_timeout_s=1.5,
    )  # fmt: skip


def node(path: str) -> EscposConfig:
    return EscposFile(type="escpos_file", id="rp", path=Path(path), status_timeout_s=1.5)


PORTS = pytest.mark.parametrize("config", [serial, node], ids=["serial", "device-node"])


class Starts:
    def __init__(self) -> None:
        self.count = 0

    async def __call__(self) -> None:
        self.count += 1


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[EscPosPtyPrinter]:
    async with EscPosPtyPrinter(tmp_path) as printer:
        yield printer


@PORTS
async def test_a_receipt_arrives_intact(sim: EscPosPtyPrinter, config: Config) -> None:
    printer = build_printer(config(sim.path))
    starts = Starts()
    report = await printer.print_receipt(PARAMS, starts)
    assert starts.count == 1
    assert report.status_before is report.status_after is PrinterStatus.OK
    assert report.bytes_sent == len(render_receipt(PARAMS))
    assert render_receipt(PARAMS) in bytes(sim.stream)  # byte for byte, in one piece
    assert len(sim.receipts) == 2  # both copies, each ended by its cut
    for receipt in sim.receipts:
        assert receipt.lines == ["唐古拉山镇便民服务中心", "取号 A017：请到 3 号窗口"]
        assert receipt.qr == ["https://kf.example/q/A017"] and receipt.cut
    assert sim.queries == 4  # DLE EOT 2 + 4, before and after


@PORTS
async def test_the_status_is_read_over_the_line(sim: EscPosPtyPrinter, config: Config) -> None:
    printer = build_printer(config(sim.path))
    assert await printer.probe() is PrinterStatus.OK
    sim.condition = PrinterCondition(near_end=True)
    assert await printer.probe() is PrinterStatus.NEAR_END
    sim.condition = PrinterCondition(cover_open=True)
    assert await printer.probe() is PrinterStatus.COVER_OPEN
    sim.condition = PrinterCondition(paper_out=True)
    assert await printer.probe() is PrinterStatus.PAPER_OUT
    starts = Starts()
    with pytest.raises(PrinterError) as caught:
        await printer.print_receipt(PARAMS, starts)
    assert caught.value.reason is FailureReason.PAPER_OUT
    assert not caught.value.side_effect_possible and starts.count == 0
    assert sim.receipts == []
    sim.condition, sim.silent = PrinterCondition(), True
    assert await printer.probe() is PrinterStatus.NO_REPLY  # silence is never "ok"


@PORTS
async def test_a_printer_vanishing_mid_job_leaves_it_uncertain(
    sim: EscPosPtyPrinter, config: Config
) -> None:
    printer = build_printer(config(sim.path))
    sim.vanish_after = 6 + 40  # the two status queries, then 40 bytes of the receipt
    starts = Starts()
    with pytest.raises(PrinterError) as caught:
        await printer.print_receipt(PARAMS, starts)
    assert caught.value.reason is FailureReason.CONNECTION_LOST
    assert caught.value.side_effect_possible and starts.count == 1
    assert "may have printed" in str(caught.value)
    assert not sim.present and sim.receipts == []
    assert printer.counters()["errors.connection_lost"] == 1
    # gone for good: the next probe and job find it unreachable, before sending anything
    assert await printer.probe() is PrinterStatus.UNREACHABLE
    again = Starts()
    with pytest.raises(PrinterError) as caught:
        await printer.print_receipt(PARAMS, again)
    assert caught.value.reason is FailureReason.PRINTER_UNREACHABLE
    assert not caught.value.side_effect_possible and again.count == 0
    # plugged in again, it prints
    sim.plug()
    sim.vanish_after = None
    await printer.print_receipt(PARAMS, again)
    assert len(sim.receipts) == 2


@PORTS
async def test_a_printer_vanishing_after_the_job_is_not_a_success(
    sim: EscPosPtyPrinter, config: Config
) -> None:
    """All bytes went out, then the device died before the status after: uncertain."""
    printer = build_printer(config(sim.path))
    sim.vanish_after = 6 + len(render_receipt(PARAMS))
    with pytest.raises(PrinterError) as caught:
        await printer.print_receipt(PARAMS, Starts())
    assert caught.value.reason is FailureReason.CONNECTION_LOST
    assert caught.value.side_effect_possible
    assert len(sim.receipts) == 2  # it did print: which is exactly why it is uncertain


async def test_a_missing_device_node_is_unreachable_and_nothing_is_created(
    tmp_path: Path,
) -> None:
    """python-escpos opens the node with "wb": without the check a switched-off USB printer
    turned into a plain file at its path, and receipts were "printed" into it."""
    path = tmp_path / "lp0"
    printer = build_printer(node(str(path)))
    assert await printer.probe() is PrinterStatus.UNREACHABLE
    starts = Starts()
    with pytest.raises(PrinterError) as caught:
        await printer.print_receipt(PARAMS, starts)
    assert caught.value.reason is FailureReason.PRINTER_UNREACHABLE
    assert "does not exist" in str(caught.value)
    assert not caught.value.side_effect_possible and starts.count == 0
    assert not path.exists()


@PORTS
async def test_a_printer_vanishing_inside_a_long_write_leaves_it_uncertain(
    sim: EscPosPtyPrinter, config: Config
) -> None:
    """A job far larger than the line's buffers: the write itself fails part-way."""
    long = [{"type": "text", "text": "便民服务" * 100} for _ in range(200)]
    params = ReceiptParams.model_validate({"lines": long})
    size = len(render_receipt(params))
    printer = build_printer(config(sim.path))
    sim.vanish_after = 6 + 1000
    with pytest.raises(PrinterError) as caught:
        await printer.print_receipt(params, Starts())
    assert caught.value.reason is FailureReason.CONNECTION_LOST
    assert caught.value.side_effect_possible
    assert len(sim.stream) < size  # torn inside the job
    assert "Input/output error" in str(caught.value)  # the write's own EIO, named


async def test_kernel_nodes_that_answer_nothing_or_garbage() -> None:
    """Real character devices as printer nodes: ``/dev/null`` takes every byte and reads back
    empty (as a usblp printer's zero-length packet does) — silent, not gone; ``/dev/zero``
    answers every status query with 0x00 — garbage, never "ready"."""
    silent = build_printer(node("/dev/null"))
    began = time.monotonic()
    assert await silent.probe() is PrinterStatus.NO_REPLY
    assert time.monotonic() - began >= 1.5  # waited its status timeout, did not give up early
    with pytest.raises(PrinterError) as caught:
        await silent.print_receipt(PARAMS, Starts())
    assert caught.value.reason is FailureReason.PRINTER_SILENT
    assert not caught.value.side_effect_possible
    zeros = build_printer(node("/dev/zero"))
    assert await zeros.probe() is PrinterStatus.GARBLED
    starts = Starts()
    with pytest.raises(PrinterError) as caught:
        await zeros.print_receipt(PARAMS, starts)
    assert caught.value.reason is FailureReason.PRINTER_ERROR
    assert "not a status byte" in str(caught.value) and starts.count == 0


async def test_a_usb_printer_without_pyusb_is_unreachable_with_the_fix_named() -> None:
    """``escpos_usb`` (libusb by vendor/product id) needs pyusb, which kfleet does not install:
    each probe used to end in an "Exception ignored" from python-escpos's ``__del__``."""
    usb = EscposUsb(type="escpos_usb", id="rp", vendor_id=0xFFFF, product_id=0xFFFE)
    printer = build_printer(usb)
    assert await printer.probe() is PrinterStatus.UNREACHABLE
    starts = Starts()
    with pytest.raises(PrinterError) as caught:
        await printer.print_receipt(PARAMS, starts)
    assert caught.value.reason is FailureReason.PRINTER_UNREACHABLE
    assert not caught.value.side_effect_possible and starts.count == 0
    if importlib.util.find_spec("usb") is None:
        assert "pip install pyusb" in str(caught.value)
