"""The demo's spool A4 printer: a PDF appears whole, faults are refused before anything is
written, and a full disk fails the job with nothing left behind."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from edge_agent.drivers.a4_base import A4Document
from edge_agent.drivers.a4_config import A4SpoolConfig
from edge_agent.drivers.a4_spool import SpoolPrinter
from edge_agent.errors import PrinterError
from protocols.jobs import FailureReason
from protocols.messages import Health

PDF = b"%PDF-1.4\n" + b"x" * 2000 + b"\n%%EOF\n"


def _spool(directory: Path) -> SpoolPrinter:
    return SpoolPrinter(A4SpoolConfig(type="a4_spool", id="a4", directory=directory))


async def _nothing() -> None:
    pass


def _bytes(path: str | Path) -> bytes:
    return Path(path).read_bytes()


def _names(directory: Path, pattern: str = "*") -> list[str]:
    return sorted(p.name for p in directory.glob(pattern))


async def test_each_job_becomes_a_numbered_pdf_with_its_options(tmp_path: Path) -> None:
    printer = _spool(tmp_path)
    assert await printer.health() == (Health.OK, "")
    first = await printer.print_pdf(A4Document(PDF, title="户籍证明", copies=2), _nothing)
    second = await printer.print_pdf(A4Document(PDF + b"2", title="a/b"), _nothing)
    assert second.document_bytes == len(PDF) + 1
    assert _names(tmp_path, "*.pdf") == ["000001-户籍证明.pdf", "000002-a_b.pdf"]  # no "/"
    assert first.printer_job.endswith("000001-户籍证明.pdf")
    assert _bytes(first.printer_job) == PDF
    assert json.loads(_bytes(tmp_path / "000001.json"))["copies"] == 2
    assert _names(tmp_path, ".*.part") == []
    assert printer.tally["jobs_completed"] == 2


@pytest.mark.parametrize(
    ("fault", "reason"),
    [(".paper-out", FailureReason.PAPER_OUT), (".cover-open", FailureReason.COVER_OPEN)],
)
async def test_a_fault_refuses_the_job_before_it_starts(
    tmp_path: Path, fault: str, reason: FailureReason
) -> None:
    printer = _spool(tmp_path)
    (tmp_path / fault).touch()
    assert (await printer.health())[0] is Health.OFFLINE
    started = []

    async def on_start() -> None:
        started.append(1)

    with pytest.raises(PrinterError) as caught:
        await printer.print_pdf(A4Document(PDF), on_start)
    assert caught.value.reason is reason and not caught.value.side_effect_possible
    assert started == [] and _names(tmp_path, "*.pdf") == []


async def test_a_missing_directory_is_offline(tmp_path: Path) -> None:
    health, why = await _spool(tmp_path / "gone").health()
    assert health is Health.OFFLINE and "does not exist" in why


async def test_a_full_disk_fails_the_job_and_leaves_no_partial_file(
    small_disk: Callable[[str], Path],
) -> None:
    tiny_disk = small_disk("64k")
    printer = _spool(tiny_disk)
    with pytest.raises(PrinterError) as caught:
        await printer.print_pdf(A4Document(PDF * 100), _nothing)
    assert caught.value.reason is FailureReason.PRINTER_ERROR
    assert not caught.value.side_effect_possible
    assert "the disk is full" in str(caught.value)
    assert _names(tiny_disk) == []
    small = await printer.print_pdf(A4Document(PDF), _nothing)  # space is back: prints again
    assert _bytes(small.printer_job) == PDF
