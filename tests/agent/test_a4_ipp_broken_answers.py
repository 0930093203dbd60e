"""The IPP A4 driver against a printer that answers badly (``broken_ipp``): each bad answer is
a :class:`PrinterError` whose reason, sentence and ``side_effect_possible`` say what happened
— refused before anything was sent (failed), or it may have printed (uncertain) — and
``health()`` never raises. Before, a torn body or a non-UTF-8 HTTP error escaped as a raw
aiohttp/Unicode error, a stalled body hung for five minutes, and HTML was "unknown status"."""

from __future__ import annotations

import asyncio
import time

import pytest
from pyipp.enums import IppOperation

from edge_agent.drivers.a4_base import A4Document
from edge_agent.drivers.a4_config import IppPrinterConfig
from edge_agent.drivers.a4_ipp import IppPrinter
from edge_agent.errors import PrinterError
from protocols.jobs import FailureReason
from protocols.messages import Health

from .broken_ipp import broken_ipp

STATUS, PRINT, FOLLOW = (
    IppOperation.GET_PRINTER_ATTRIBUTES,
    IppOperation.PRINT_JOB,
    IppOperation.GET_JOB_ATTRIBUTES,
)
PDF = b"%PDF-1.4\n" + b"x" * 100 + b"\n%%EOF\n"
TIMEOUT_S = 2
UNREACHABLE, ERROR = FailureReason.PRINTER_UNREACHABLE, FailureReason.PRINTER_ERROR
LOST, BUSY = FailureReason.CONNECTION_LOST, FailureReason.PRINTER_BUSY
REJECTED = FailureReason.DOCUMENT_REJECTED

#: (operation, fault) → (reason, may have printed, words the message must contain)
CASES = [
    (STATUS, "truncated", ERROR, False, "could not be parsed"),
    (STATUS, "version", ERROR, False, "does not speak IPP 2.0"),
    (STATUS, "html", ERROR, False, "text/html page instead of application/ipp"),
    (STATUS, "http500", ERROR, False, "HTTP 500"),
    (STATUS, "torn", UNREACHABLE, False, "payload is not completed"),
    (STATUS, "hang", UNREACHABLE, False, f"no complete answer within {TIMEOUT_S} s"),
    (STATUS, "hang_body", UNREACHABLE, False, f"no complete answer within {TIMEOUT_S} s"),
    (PRINT, "truncated", ERROR, True, "could not be parsed"),
    (PRINT, "version", ERROR, False, "does not speak IPP 2.0"),
    (PRINT, "status:0x0500", ERROR, False, "error_internal (0x0500)"),
    (PRINT, "status:0x040a", REJECTED, False, "error_document_format_not_supported"),
    (PRINT, "status:0x0507", BUSY, False, "error_busy"),
    (PRINT, "html", ERROR, True, "text/html"),
    (PRINT, "http500", ERROR, True, "HTTP 500"),
    (PRINT, "torn", LOST, True, "payload is not completed"),
    (PRINT, "hang", LOST, True, "no complete answer"),
    (PRINT, "hang_body", LOST, True, "no complete answer"),
    (FOLLOW, "truncated", ERROR, True, "could not be parsed"),
    (FOLLOW, "html", ERROR, True, "text/html"),
    (FOLLOW, "http500", ERROR, True, "HTTP 500"),
    (FOLLOW, "status:0x0500", ERROR, True, "error_internal"),
    (FOLLOW, "torn", UNREACHABLE, True, "lost contact"),
    (FOLLOW, "hang_body", UNREACHABLE, True, "lost contact"),
]


def _printer(uri: str) -> IppPrinter:
    cfg = {"type": "ipp", "id": "a4", "uri": uri, "poll_interval_s": 0.05,
           "request_timeout_s": TIMEOUT_S, "lost_contact_s": 1.0}  # fmt: skip
    return IppPrinter(IppPrinterConfig.model_validate(cfg))


class Starts:
    def __init__(self) -> None:
        self.count = 0

    async def __call__(self) -> None:
        self.count += 1


@pytest.mark.parametrize(
    ("op", "fault", "reason", "printed", "words"),
    CASES,
    ids=[f"{c[0].name.lower()}-{c[1]}" for c in CASES],
)
async def test_a_bad_answer_is_a_precise_error(
    op: IppOperation, fault: str, reason: FailureReason, printed: bool, words: str
) -> None:
    async with broken_ipp({op: fault}) as server:
        printer, starts = _printer(server.uri), Starts()
        began = time.monotonic()
        with pytest.raises(PrinterError) as caught:
            async with asyncio.timeout(30):  # never aiohttp's five minutes
                await printer.print_pdf(A4Document(PDF), starts)
        took = time.monotonic() - began
    err = caught.value
    assert (err.reason, err.side_effect_possible) == (reason, printed), str(err)
    assert words in str(err)
    assert took < 4 * TIMEOUT_S + 5
    # failed means nothing left for the printer; uncertain means the document did
    assert (PRINT in server.seen) is (starts.count == 1)
    if op is STATUS:
        assert server.documents == []  # refused before the document left


@pytest.mark.parametrize(
    ("fault", "health", "words"),
    [
        ("truncated", Health.UNKNOWN, "could not be parsed"),
        ("version", Health.UNKNOWN, "does not speak IPP 2.0"),
        ("html", Health.UNKNOWN, "text/html"),
        ("http500", Health.UNKNOWN, "HTTP 500"),
        ("status:0x0507", Health.UNKNOWN, "error_busy"),
        ("torn", Health.OFFLINE, "unreachable"),
        ("hang_body", Health.OFFLINE, "no complete answer"),
    ],
)
async def test_health_never_raises_on_a_bad_answer(fault: str, health: Health, words: str) -> None:
    async with broken_ipp({STATUS: fault}) as server:
        async with asyncio.timeout(30):
            got, why = await _printer(server.uri).health()
    assert got is health and words in why


async def test_a_healthy_broken_ipp_prints() -> None:
    """The test printer itself: without faults the job completes (so each fault above is
    the cause of its error)."""
    async with broken_ipp({}) as server:
        report = await _printer(server.uri).print_pdf(A4Document(PDF), Starts())
        assert await _printer(server.uri).health() == (Health.OK, "")
    assert report.printer_job.endswith("/7")
    assert server.seen[:3] == [STATUS, PRINT, FOLLOW]
    assert PDF in server.documents[0]
