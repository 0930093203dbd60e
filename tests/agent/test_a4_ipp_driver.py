"""The IPP A4 driver against the real CUPS ippeveprinter: a PDF arrives byte for byte; a
missing printer fails cleanly; a printer that vanishes mid-job or a job that never ends is
``uncertain`` (it may have printed), never a silent success or a retryable failure."""

from __future__ import annotations

import asyncio
import hashlib
import stat
import time
from pathlib import Path

import pytest

from edge_agent.drivers.a4_base import A4Document
from edge_agent.drivers.a4_config import IppPrinterConfig
from edge_agent.drivers.a4_ipp import IppPrinter, printer_health, reasons_of, refusal_of
from edge_agent.errors import PrinterError
from edge_agent.vision.rectify import make_pdf
from kfleet.world.net import free_port
from protocols.jobs import FailureReason
from protocols.messages import Health
from simulators.ippeveprinter import IppServer, running_ippeveprinter, stop


def _pdf(label: str) -> bytes:
    """A small real PDF (a one-pixel JPEG page) whose bytes differ per ``label``."""
    jpeg = bytes.fromhex(
        "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c"
        "140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27"
        "393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100000000"
        "000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300"
        "041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a"
        "25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475"
        "767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9ba"
        "c2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda"
        "0008010100003f00fbd3ffd9"
    )
    return make_pdf(jpeg, 1, 1, grey=True, title=label)


def _printer(uri: str, **settings: float) -> IppPrinter:
    cfg = {"type": "ipp", "id": "a4", "uri": uri, "poll_interval_s": 0.05, **settings}
    return IppPrinter(IppPrinterConfig.model_validate(cfg))


class _Starts:
    def __init__(self) -> None:
        self.count = 0

    async def __call__(self) -> None:
        self.count += 1


async def test_a_pdf_is_printed_and_arrives_byte_for_byte(ipp_printer: IppServer) -> None:
    printer = _printer(ipp_printer.uri)
    assert await printer.health() == (Health.OK, "")
    assert printer.model == "kfleet Test A4"  # read from printer-make-and-model
    pdf = _pdf("arrives")
    starts = _Starts()
    doc = A4Document(pdf, title="certificate arrives-1", copies=2)
    report = await printer.print_pdf(doc, starts)
    assert starts.count == 1
    assert report.document_sha256 == hashlib.sha256(pdf).hexdigest()
    assert report.printer_job.startswith(ipp_printer.uri + "/")
    # per job, not set membership on the shared printer: two copies are one document
    [arrived] = [p for p in ipp_printer.documents() if "arrives-1" in p.name]
    assert arrived.read_bytes() == pdf
    assert arrived.name.startswith(report.printer_job.rsplit("/", 1)[1] + "-")
    assert printer.tally["jobs_completed"] == 1
    assert printer.tally["bytes_sent"] == len(pdf)


async def test_an_absent_printer_fails_before_anything_is_sent() -> None:
    printer = _printer(f"ipp://127.0.0.1:{free_port()}/ipp/print", request_timeout_s=2)
    health, why = await printer.health()
    assert health is Health.OFFLINE and why.startswith("unreachable")
    starts = _Starts()
    with pytest.raises(PrinterError) as caught:
        await printer.print_pdf(A4Document(_pdf("absent")), starts)
    assert caught.value.reason is FailureReason.PRINTER_UNREACHABLE
    assert not caught.value.side_effect_possible
    assert starts.count == 0
    assert "does not answer" in str(caught.value)


def _slow_print_command(tmp_path: Path) -> str:
    """A print command that takes a long time and says when it started."""
    script = tmp_path / "slow-print.sh"
    script.write_text(f"#!/bin/sh\ntouch {tmp_path}/printing\nsleep 60\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def _until_printing(tmp_path: Path, timeout_s: float = 30) -> None:
    """Wait for the print command's mark (another process's file: there is no event)."""
    deadline = time.monotonic() + timeout_s
    while not (tmp_path / "printing").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("ippeveprinter never started printing")
        time.sleep(0.05)


async def test_a_printer_that_vanishes_mid_job_leaves_it_uncertain(tmp_path: Path) -> None:
    with running_ippeveprinter(print_command=_slow_print_command(tmp_path)) as server:
        printer = _printer(server.uri, lost_contact_s=1.0, request_timeout_s=2)
        job = asyncio.create_task(printer.print_pdf(A4Document(_pdf("vanish")), _Starts()))
        await asyncio.to_thread(_until_printing, tmp_path)
        stop(server.process, hard=True)  # the plug is pulled while it prints
        with pytest.raises(PrinterError) as caught:
            async with asyncio.timeout(30):
                await job
    assert caught.value.side_effect_possible
    assert caught.value.reason is FailureReason.PRINTER_UNREACHABLE
    assert "may have printed" in str(caught.value)
    assert printer.tally["lost_contact"] == 1


async def test_a_job_that_does_not_finish_in_time_is_canceled_and_uncertain(
    tmp_path: Path,
) -> None:
    with running_ippeveprinter(print_command=_slow_print_command(tmp_path)) as server:
        printer = _printer(server.uri, job_timeout_s=1.0)
        with pytest.raises(PrinterError) as caught:
            async with asyncio.timeout(30):
                await printer.print_pdf(A4Document(_pdf("slow")), _Starts())
        assert caught.value.reason is FailureReason.PRINTER_TIMEOUT
        assert caught.value.side_effect_possible  # it was processing: a page may be out
        assert "canceled on the printer" in str(caught.value)
        # the printer agrees: its queue no longer holds a job that could print later
        assert await printer.health() == (Health.OK, "")


def test_printer_state_reasons_map_to_health_and_refusals() -> None:
    assert reasons_of(["media-empty-error", "none"]) == ["media-empty"]
    assert reasons_of("toner-low-warning") == ["toner-low"]
    assert printer_health({"printer-state-reasons": "none", "printer-state": 3}) == (
        Health.OK,
        "",
    )
    assert printer_health({"printer-state-reasons": ["media-low-report"]}) == (
        Health.DEGRADED,
        "paper_low",
    )
    empty = {"printer-state-reasons": ["media-empty-error"], "printer-state": 5}
    assert printer_health(empty) == (Health.OFFLINE, "paper_out")
    refusal = refusal_of(empty)
    assert refusal is not None and refusal.reason is FailureReason.PAPER_OUT
    assert not refusal.side_effect_possible
    door = refusal_of({"printer-state-reasons": "door-open"})
    assert door is not None and door.reason is FailureReason.COVER_OPEN
    stopped = refusal_of({"printer-state": 5, "printer-state-reasons": "none"})
    assert stopped is not None and stopped.reason is FailureReason.PRINTER_BUSY
    assert refusal_of({"printer-is-accepting-jobs": False}) is not None
    assert refusal_of({"printer-state": 4, "printer-state-reasons": "none"}) is None


def test_the_printer_uri_is_checked_in_the_config() -> None:
    with pytest.raises(ValueError, match="uri"):
        IppPrinterConfig.model_validate({"type": "ipp", "id": "a4", "uri": "http://x/ipp"})
