"""The ESC/POS driver against the printer simulator, and its pure rendering/status parts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from edge_agent.config import EscposFile, EscposNetwork
from edge_agent.drivers import PrinterStatus, build_printer, health_of
from edge_agent.drivers.escpos_render import render_receipt
from edge_agent.errors import PrinterError
from protocols.escpos import decode_receipts, decode_status
from protocols.jobs import FailureReason, ReceiptParams
from protocols.messages import Health
from simulators.escpos_printer import EscPosPrinterSim, Faults

PARAMS = ReceiptParams.model_validate(
    {
        "lines": [
            {"type": "text", "text": "八一社区便民服务点", "align": "center", "height": 2},
            {"type": "text", "text": "：（）、"},  # full-width punctuation only
            {"type": "text", "text": "plain ASCII", "align": "right"},
            {"type": "qr", "data": "https://kf.example/q/B7", "size": 4},
        ],
        "copies": 2,
    }
)


def net(port: int, **kw: object) -> EscposNetwork:
    return EscposNetwork.model_validate(
        {"type": "escpos_network", "id": "rp", "host": "127.0.0.1", "port": port,
         "timeout_s": 2, "status_timeout_s": 2.0, **kw}  # the simulator shares this loop
    )  # fmt: skip


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[EscPosPrinterSim]:
    async with EscPosPrinterSim(out_dir=tmp_path / "receipts") as printer:
        yield printer


def test_render_gb18030_and_native_qr() -> None:
    data = render_receipt(PARAMS)
    assert "八一社区便民服务点".encode("gb18030") in data
    assert b"\x1d(k" in data and len(data) < 600  # native QR, not a raster image
    first, second = decode_receipts(data)
    assert first.lines[:3] == ["八一社区便民服务点", "：（）、", "plain ASCII"]
    assert first.meta[0].align == "center" and first.meta[0].height == 2
    assert first.meta[2].align == "right" and first.meta[2].height == 1
    assert first.qr == ["https://kf.example/q/B7"] and first.cut
    assert second.lines == first.lines


@pytest.mark.parametrize(
    ("cause", "paper", "status"),
    [
        (0x12, 0x12, PrinterStatus.OK),
        (0x16, 0x12, PrinterStatus.COVER_OPEN),
        (0x32, 0x7E, PrinterStatus.PAPER_OUT),
        (0x12, 0x1E, PrinterStatus.NEAR_END),
        (0x52, 0x12, PrinterStatus.ERROR),
        (0x12, None, PrinterStatus.OK),
    ],
)
def test_decode_status(cause: int, paper: int | None, status: PrinterStatus) -> None:
    assert decode_status(cause, paper) is status


def test_health_mapping() -> None:
    assert health_of(PrinterStatus.OK) == (Health.OK, "")
    assert health_of(PrinterStatus.NEAR_END) == (Health.DEGRADED, "near_end")
    assert health_of(PrinterStatus.NO_REPLY)[0] is Health.UNKNOWN  # never OK
    assert health_of(PrinterStatus.PAPER_OUT) == (Health.OFFLINE, "paper_out")


async def test_print_and_probe(sim: EscPosPrinterSim) -> None:
    printer = build_printer(net(sim.port))
    started: list[bool] = []

    async def on_start() -> None:
        started.append(True)

    assert await printer.probe() is PrinterStatus.OK
    report = await printer.print_receipt(PARAMS, on_start)
    assert started == [True]
    assert report.status_before is report.status_after is PrinterStatus.OK
    receipts = await sim.wait_for_receipts(2)
    assert receipts[0].lines[0] == "八一社区便民服务点"
    sim.faults.near_end = True
    assert await printer.probe() is PrinterStatus.NEAR_END
    sim.faults = Faults(silent=True)
    assert await printer.probe() is PrinterStatus.NO_REPLY  # not "paper OK"


async def test_one_lost_status_reply_is_asked_again_before_the_printer_counts_as_silent(
    sim: EscPosPrinterSim,
) -> None:
    printer = build_printer(net(sim.port))
    sim.faults.unanswered = 1
    assert await printer.probe() is PrinterStatus.OK
    assert sim.faults.unanswered == 0  # the lost reply was the first query's
    assert printer.counters()["status_retries"] == 1
    sim.faults.unanswered, sim.faults.paper_out = 1, True
    assert await printer.probe() is PrinterStatus.PAPER_OUT
    sim.faults.unanswered, sim.faults.paper_out = 2, False  # lost twice: silent, never "OK"
    assert await printer.probe() is PrinterStatus.NO_REPLY
    assert printer.counters()["status_retries"] == 3


async def test_a_printer_that_cannot_answer_is_asked_once(tmp_path: Path) -> None:
    out = tmp_path / "lp0"
    out.write_bytes(b"")
    printer = build_printer(
        EscposFile.model_validate({"type": "escpos_file", "id": "f", "path": str(out)})
    )
    assert await printer.probe() is PrinterStatus.NO_REPLY
    assert out.read_bytes() == b"\x10\x04\x02"  # one DLE EOT 2, not a second into the file


@pytest.mark.parametrize(
    ("faults", "reason", "side_effect"),
    [
        (Faults(paper_out=True), FailureReason.PAPER_OUT, False),
        (Faults(cover_open=True), FailureReason.COVER_OPEN, False),
        (Faults(silent=True), FailureReason.PRINTER_SILENT, False),
        (Faults(drop_mid_job=20), FailureReason.CONNECTION_LOST, True),
    ],
)
async def test_failures_say_whether_something_printed(
    sim: EscPosPrinterSim, faults: Faults, reason: FailureReason, side_effect: bool
) -> None:
    sim.faults = faults
    printer = build_printer(net(sim.port))
    started: list[bool] = []

    async def on_start() -> None:
        started.append(True)

    with pytest.raises(PrinterError) as info:
        await printer.print_receipt(PARAMS, on_start)
    assert info.value.reason is reason
    assert info.value.side_effect_possible is side_effect
    assert bool(started) is side_effect  # on_start runs exactly before the side effect


async def test_unreachable_and_file_printer(tmp_path: Path) -> None:
    from kfleet.world.net import free_port

    printer = build_printer(net(free_port()))
    assert await printer.probe() is PrinterStatus.UNREACHABLE

    async def on_start() -> None:
        raise AssertionError("must not start")

    with pytest.raises(PrinterError) as info:
        await printer.print_receipt(PARAMS, on_start)
    assert info.value.reason is FailureReason.PRINTER_UNREACHABLE
    assert not info.value.side_effect_possible

    # a device file without a back-channel: best_effort prints, but cannot confirm
    out = tmp_path / "lp0"
    out.touch()  # a plain file that exists: written to, but it never answers DLE EOT
    lp = build_printer(EscposFile(type="escpos_file", id="lp", path=out, status="best_effort"))
    with pytest.raises(PrinterError) as info:
        await lp.print_receipt(PARAMS, _noop)
    assert info.value.reason is FailureReason.PRINTER_SILENT and info.value.side_effect_possible
    assert decode_receipts(out.read_bytes())[0].qr == ["https://kf.example/q/B7"]


async def _noop() -> None:
    return None
