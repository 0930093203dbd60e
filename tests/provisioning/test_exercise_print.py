"""``kfleet provision test print`` against the ESC/POS printer on a pty and the real
ippeveprinter: the test receipt arrives (site, device, time, Chinese, QR code) with the status
read before and after; paper out, cover open, a silent printer, a printer pulled mid-test and
a missing one each fail with their own exit code and sentence; no printer at all → exit 0."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from protocols.escpos import PrinterCondition
from provisioning.exercise_pages import CHINESE_LINE
from provisioning.exercise_result import Exit
from simulators.escpos_pty import EscPosPtyPrinter
from simulators.ippeveprinter import IppServer
from tests.provisioning.exercise_kit import as_json, invoke, invoke_beside

SITE = ["--site", "qh/golmud/hall-1", "--device-id", "kiosk-07"]


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[EscPosPtyPrinter]:
    async with EscPosPtyPrinter(tmp_path) as printer:
        yield printer


async def test_the_test_receipt_is_printed_with_status_before_and_after(
    sim: EscPosPtyPrinter,
) -> None:
    result = await invoke_beside("print", "--port", sim.path, *SITE)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"PASS print on {sim.path}")
    assert "status_before: paper ok, cover closed (ok)" in result.output
    assert "status_after: paper ok, cover closed (ok)" in result.output
    [receipt] = sim.receipts
    text = receipt.render()
    for expected in ("qh/golmud/hall-1", "kiosk-07", CHINESE_LINE, "打印测试"):
        assert expected in text
        assert expected in result.output  # the technician sees what was sent
    [qr] = receipt.qr
    assert qr.startswith("kfleet-test:kiosk-07:") and f"[QR code] {qr}" in result.output


async def test_json_says_pass_with_both_statuses(sim: EscPosPtyPrinter) -> None:
    sim.condition = PrinterCondition(near_end=True)
    body = as_json(await invoke_beside("print", "--port", sim.path, "--json", *SITE))
    assert (body["result"], body["exit_code"], body["device"]) == ("pass", 0, sim.path)
    near_end = "paper near end, cover closed (near_end)"
    assert body["status_before"] == body["status_after"] == near_end
    assert body["bytes_sent"] > 0 and CHINESE_LINE in body["printed"]


@pytest.mark.parametrize(
    ("condition", "code", "status"),
    [
        (PrinterCondition(paper_out=True), Exit.PAPER_OUT, "paper out, cover closed (paper_out)"),
        (
            PrinterCondition(cover_open=True),
            Exit.COVER_OPEN,
            "paper unknown, cover open (cover_open)",
        ),
    ],
    ids=["paper-out", "cover-open"],
)
async def test_a_printer_that_cannot_print_fails_before_printing(
    sim: EscPosPtyPrinter, condition: PrinterCondition, code: Exit, status: str
) -> None:
    sim.condition = condition
    result = await invoke_beside("print", "--port", sim.path, *SITE)
    assert result.exit_code == code, result.output
    assert result.output.startswith(f"FAIL print on {sim.path}")
    assert f"reports {status.split('(')[1][:-1]}; nothing was printed" in result.output
    assert f"status_before: {status}" in result.output
    assert "status_after: not printed" in result.output
    assert sim.receipts == [] and len(sim.stream) == 12  # two status reads, no job


async def test_a_silent_printer_times_out(sim: EscPosPtyPrinter) -> None:
    sim.silent = True
    result = await invoke_beside("print", "--port", sim.path, "--json", *SITE)
    body = as_json(result)
    assert (result.exit_code, body["result"]) == (Exit.TIMEOUT, "fail")
    assert "did not answer the status request" in body["message"]
    assert "--baud" in body["message"]
    assert body["status_before"] == "paper unknown, cover unknown (no_reply)"


async def test_a_printer_pulled_mid_test_is_lost_and_may_have_printed(
    sim: EscPosPtyPrinter,
) -> None:
    sim.vanish_after = 12 + 40  # two status reads, then 40 bytes of the receipt
    result = await invoke_beside("print", "--port", sim.path, *SITE)
    assert result.exit_code == Exit.LOST, result.output
    assert "lost while printing" in result.output
    assert "part of the receipt may have printed" in result.output
    assert not sim.present


async def test_a_garbled_status_reply_is_named(sim: EscPosPtyPrinter) -> None:
    sim.answers = [b"\x01"] * 4  # not status bytes (bits 1 and 4 clear): a wrong baud rate?
    result = await invoke_beside("print", "--port", sim.path, *SITE)
    assert result.exit_code == Exit.GARBLED, result.output
    assert "not a status byte" in result.output and "(garbled)" in result.output
    assert sim.receipts == []


async def test_the_printer_node_on_the_machine_is_the_one_tested(
    tmp_path: Path, sim: EscPosPtyPrinter
) -> None:
    root = tmp_path / "root"
    (root / "dev/usb").mkdir(parents=True)
    (root / "dev/usb/lp0").symlink_to(sim.path)  # the fake tree's lp0 is the simulator
    result = await invoke_beside("print", "--sysfs-root", str(root), "--json", *SITE)
    body = as_json(result)
    assert (body["result"], body["device"]) == ("pass", str(root / "dev/usb/lp0"))
    assert len(sim.receipts) == 1


def test_a_named_port_with_nothing_there_is_not_found(tmp_path: Path) -> None:
    result = invoke("print", "--port", str(tmp_path / "ttyUSB9"))
    assert result.exit_code == Exit.NOT_FOUND
    assert f"no receipt printer at {tmp_path / 'ttyUSB9'}" in result.output
    assert "kfleet provision probe" in result.output


def test_no_printer_on_the_machine_says_so_and_exits_0(tmp_path: Path) -> None:
    result = invoke("print", "--sysfs-root", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("NOTHING TO TEST print: no receipt printer found")
    assert "/dev/usb/lp*" in result.output and "kfleet provision probe" in result.output
    body = as_json(invoke("print", "--sysfs-root", str(tmp_path), "--json"))
    assert (body["result"], body["exit_code"]) == ("no_hardware", 0)


async def test_an_a4_test_page_reaches_the_ipp_printer(ipp_printer: IppServer) -> None:
    before = len(ipp_printer.documents())
    result = await invoke_beside("print", "--ipp", ipp_printer.uri, "--json", *SITE)
    body = as_json(result)
    assert (result.exit_code, body["result"]) == (0, "pass"), result.output
    assert body["status_before"].startswith("ok") and body["status_after"].startswith("ok")
    assert body["printer_job"].startswith(ipp_printer.uri)
    [doc] = ipp_printer.documents()[before:]
    assert doc.read_bytes().startswith(b"%PDF-") and doc.stat().st_size == body["bytes_sent"]


def test_an_ipp_printer_that_does_not_answer_is_not_found() -> None:
    result = invoke("print", "--ipp", "ipp://127.0.0.1:9/ipp/print", *SITE)
    assert result.exit_code == Exit.NOT_FOUND, result.output
    assert "does not answer" in result.output
