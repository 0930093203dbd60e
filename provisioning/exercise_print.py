"""``kfleet provision test print``: a test receipt on the ESC/POS printer, or an A4 test page
on an IPP printer, through the agent's own drivers (so a pass means the agent's print jobs
will work on this printer), with the status read before and after."""

from __future__ import annotations

from typing import Any

from edge_agent.drivers.a4_base import A4Document
from edge_agent.drivers.a4_config import IppPrinterConfig
from edge_agent.drivers.a4_ipp import IppPrinter
from edge_agent.drivers.escpos_config import EscposConfig, EscposFile, EscposNetwork, EscposSerial
from edge_agent.drivers.receipt_escpos import EscPosReceiptPrinter
from edge_agent.errors import PrinterError
from protocols.escpos import PrinterStatus
from protocols.jobs import FailureReason
from protocols.messages import Health
from provisioning.exercise_pages import TestPage, a4_pdf, receipt
from provisioning.exercise_progress import Feedback
from provisioning.exercise_result import Exit, TestFailed

_EXIT = {
    FailureReason.PRINTER_UNREACHABLE: Exit.NOT_FOUND,
    FailureReason.PAPER_OUT: Exit.PAPER_OUT,
    FailureReason.COVER_OPEN: Exit.COVER_OPEN,
    FailureReason.PRINTER_SILENT: Exit.TIMEOUT,
    FailureReason.CONNECTION_LOST: Exit.LOST,
}
_TODO = {
    Exit.NOT_FOUND: "Check the power and the cable (or network), and the port or address.",
    Exit.PAPER_OUT: "Load a paper roll, close the cover and run the test again.",
    Exit.COVER_OPEN: "Close the printer's cover and run the test again.",
    Exit.TIMEOUT: "Check the baud rate (--baud) and that this is an ESC/POS printer.",
    Exit.GARBLED: "Check the baud rate (--baud) and the cable.",
    Exit.LOST: "Check the cable and the power; look at the printer before printing again.",
    Exit.DEVICE_ERROR: "Look at the printer's lights or panel, fix it, and run the test again.",
}


def where(cfg: EscposConfig | IppPrinterConfig) -> str:
    """The printer's address as a technician would write it."""
    if isinstance(cfg, IppPrinterConfig):
        return cfg.uri
    if isinstance(cfg, EscposSerial):
        return cfg.device
    if isinstance(cfg, EscposFile):
        return str(cfg.path)
    if isinstance(cfg, EscposNetwork):
        return f"{cfg.host}:{cfg.port}"
    return f"USB {cfg.vendor_id:04x}:{cfg.product_id:04x}"


def status_facts(status: PrinterStatus | None) -> str:
    """``paper ok, cover closed (ok)``: the two things a technician can fix by hand."""
    if status is None:
        return "not read"
    paper = {
        PrinterStatus.OK: "ok",
        PrinterStatus.NEAR_END: "near end",
        PrinterStatus.PAPER_OUT: "out",
        PrinterStatus.ERROR: "ok",
    }.get(status, "unknown")
    cover = {PrinterStatus.COVER_OPEN: "open"}.get(
        status, "closed" if status in _COVER_KNOWN else "unknown"
    )
    return f"paper {paper}, cover {cover} ({status.value})"


_COVER_KNOWN = (
    PrinterStatus.OK,
    PrinterStatus.NEAR_END,
    PrinterStatus.PAPER_OUT,
    PrinterStatus.ERROR,
)


def _code(err: PrinterError, last: PrinterStatus | None) -> Exit:
    if last is PrinterStatus.GARBLED:
        return Exit.GARBLED
    code = _EXIT.get(err.reason, Exit.DEVICE_ERROR)
    if code is Exit.NOT_FOUND and err.side_effect_possible:
        return Exit.LOST  # it answered, took (part of) the job, then went away
    return code


def _failed(err: PrinterError, last: PrinterStatus | None, facts: dict[str, Any]) -> TestFailed:
    code = _code(err, last)
    return TestFailed(code, f"{err} {_TODO[code]}", facts)


async def print_receipt(cfg: EscposConfig, page: TestPage, feedback: Feedback) -> dict[str, Any]:
    """Status, the test receipt, status again; the facts to show, or :class:`TestFailed`."""
    printer = EscPosReceiptPrinter(cfg)
    with feedback.spinner("asking the printer for its status (DLE EOT)"):
        before = await printer.probe()
    facts: dict[str, Any] = {"status_before": status_facts(before)}
    if before is PrinterStatus.UNREACHABLE:
        raise TestFailed(
            Exit.NOT_FOUND,
            f"the receipt printer at {where(cfg)} cannot be opened (unplugged, switched off, "
            f"or used by the running agent). {_TODO[Exit.NOT_FOUND]}",
            facts,
        )
    started = False

    async def on_start() -> None:
        nonlocal started
        started = True

    try:
        with feedback.spinner("printing the test receipt"):
            report = await printer.print_receipt(receipt(page), on_start)
    except PrinterError as err:
        facts["status_after"] = status_facts(printer.last_status) if started else "not printed"
        raise _failed(err, printer.last_status, facts) from err
    facts["status_after"] = status_facts(report.status_after)
    facts["bytes_sent"] = report.bytes_sent
    facts["printed"] = [*page.lines, f"[QR code] {page.qr}"]
    return facts


async def print_a4(cfg: IppPrinterConfig, page: TestPage, feedback: Feedback) -> dict[str, Any]:
    """State, the A4 test page (followed until the printer says it is done), state again."""
    printer = IppPrinter(cfg)
    with feedback.spinner("asking the A4 printer for its state (IPP)"):
        health, why = await printer.health()
    facts: dict[str, Any] = {"status_before": f"{health.value} {why}".strip()}
    if health is Health.OFFLINE and why.startswith("unreachable"):
        raise TestFailed(
            Exit.NOT_FOUND,
            f"the A4 printer at {cfg.uri} does not answer ({why}). {_TODO[Exit.NOT_FOUND]}",
            facts,
        )
    pdf, drew_chinese = a4_pdf(page)
    doc = A4Document(pdf, title="kfleet test page")

    async def on_start() -> None:
        return None

    try:
        with feedback.spinner("printing the A4 test page (until the printer says done)"):
            report = await printer.print_pdf(doc, on_start)
    except PrinterError as err:
        raise _failed(err, None, facts) from err
    health, why = await printer.health()
    facts["status_after"] = f"{health.value} {why}".strip()
    facts["printer"] = printer.model
    facts["printer_job"] = report.printer_job
    facts["bytes_sent"] = report.document_bytes
    if report.impressions is not None:
        facts["impressions"] = report.impressions
    facts["printed"] = page.lines if drew_chinese else [*page.lines[:4], "(no CJK font)"]
    return facts
