"""Garbage from a receipt printer's status line — any byte, torn or doubled answers, silence —
is a clear ``garbled``/``no_reply`` status, never a crash and never a false "ready".

Every ``DLE EOT`` status byte has bits 1 and 4 set and bits 0 and 7 clear (Epson's fixed
bits); a reply without them is not a status byte (line noise, a wrong baud rate, a stray
byte). The decoder is checked over all 256 values of both replies, and the driver over
hypothesis-chosen reply sequences from a printer on a real pty.
"""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from edge_agent.config import EscposSerial
from edge_agent.drivers import PrinterStatus, build_printer, health_of
from edge_agent.errors import PrinterError
from protocols.escpos import PrinterCondition, decode_status, is_status_byte, status_byte
from protocols.jobs import FailureReason, ReceiptParams
from protocols.messages import Health
from simulators.escpos_pty import EscPosPtyPrinter

#: bits of DLE EOT 2 (cover open, paper stop, error) and DLE EOT 4 (paper end) that stop printing
_CAUSE_STOPS, _PAPER_STOPS = 0x64, 0x60
BYTES = range(256)
PARAMS = ReceiptParams.model_validate({"lines": [{"type": "text", "text": "A017"}]})


def _says_ready(cause: int, paper: int | None) -> bool:
    """What a correct decoder may call printable: both replies real, nothing stopping it."""
    cause_ok = is_status_byte(cause) and not cause & _CAUSE_STOPS
    paper_ok = paper is None or (is_status_byte(paper) and not paper & _PAPER_STOPS)
    return cause_ok and paper_ok


def test_every_pair_of_reply_bytes_decodes_without_a_false_ready() -> None:
    for cause in BYTES:
        for paper in [None, *BYTES]:
            status = decode_status(cause, paper)
            assert isinstance(status, PrinterStatus)
            if status.can_print:
                assert _says_ready(cause, paper), (hex(cause), paper)
            bad = not is_status_byte(cause) or (paper is not None and not is_status_byte(paper))
            assert (status is PrinterStatus.GARBLED) is bad, (hex(cause), paper)


def test_the_fixed_bit_check_accepts_exactly_a_quarter_of_all_bytes() -> None:
    """Bits 0,1,4,7 fixed, the other four free: 16 of 256 bytes are status bytes."""
    assert [b for b in BYTES if is_status_byte(b)] == [0x12 | x for x in _free_bit_values()]


def _free_bit_values() -> list[int]:
    return sorted(
        b2 << 2 | b3 << 3 | b5 << 5 | b6 << 6
        for b2 in (0, 1)
        for b3 in (0, 1)
        for b5 in (0, 1)
        for b6 in (0, 1)
    )


@given(st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_every_real_status_byte_still_decodes(
    cover_open: bool, paper_out: bool, near_end: bool, error: bool
) -> None:
    cond = PrinterCondition(cover_open, paper_out, near_end, error)
    cause, paper = status_byte(2, cond), status_byte(4, cond)
    assert cause is not None and paper is not None
    status = decode_status(cause, paper)
    assert status is not PrinterStatus.GARBLED
    assert status.can_print is not cond.offline
    assert (status is PrinterStatus.NEAR_END) is (near_end and not cond.offline)


def test_a_garbled_status_is_unknown_health_not_ok() -> None:
    assert health_of(PrinterStatus.GARBLED) == (Health.UNKNOWN, "garbled")


#: what a broken printer may send back to one status query: nothing, one byte, or several
REPLY = st.binary(min_size=0, max_size=3)


@settings(max_examples=30, deadline=None)
@given(st.lists(REPLY, min_size=1, max_size=4))
def test_the_driver_never_calls_garbage_ready(replies: list[bytes]) -> None:
    status, refused = asyncio.run(_probe_and_print(replies))
    answer = _answer_read(replies)
    if answer == b"":
        assert status is PrinterStatus.NO_REPLY
    elif answer is not None and not is_status_byte(answer[0]):
        assert status is PrinterStatus.GARBLED
    if status.can_print:
        assert answer is None or _says_ready(answer[0], None)
    else:
        assert refused is not None and not refused.side_effect_possible
        assert refused.reason in _REASONS[status]


def _answer_read(replies: list[bytes]) -> bytes | None:
    """The reply the driver takes for its ``DLE EOT 2``: the first; when that one is empty, the
    second (an unanswered query is asked once more); None when the script ran out there and
    the printer's own (ready) answer came instead."""
    if replies[0]:
        return replies[0]
    return replies[1] if len(replies) > 1 else None


_REASONS = {
    PrinterStatus.NO_REPLY: {FailureReason.PRINTER_SILENT},
    PrinterStatus.GARBLED: {FailureReason.PRINTER_ERROR},
    PrinterStatus.COVER_OPEN: {FailureReason.COVER_OPEN},
    PrinterStatus.PAPER_OUT: {FailureReason.PAPER_OUT},
    PrinterStatus.ERROR: {FailureReason.PRINTER_ERROR},
}


async def _probe_and_print(replies: list[bytes]) -> tuple[PrinterStatus, PrinterError | None]:
    """Probe a pty printer answering ``replies``, then (same replies) try to print on it:
    a status that cannot print must refuse the job before a byte of it is sent."""
    async with EscPosPtyPrinter() as sim:
        cfg = EscposSerial(
            type="escpos_serial", id="rp", device=sim.path, timeout_s=2, status_timeout_s=0.5
        )
        printer = build_printer(cfg)
        sim.answers = list(replies)
        status = await printer.probe()
        sim.answers, sent = list(replies), len(sim.stream)
        try:
            await printer.print_receipt(PARAMS, _noop)
        except PrinterError as err:
            if not err.side_effect_possible:  # refused: only status queries went out (DLE EOT
                # 2, its one repeat when unanswered, DLE EOT 4: three bytes each)
                assert len(sim.stream) - sent <= 9, "job bytes were sent to a refused printer"
            return status, err
        return status, None


async def _noop() -> None:
    return None


async def test_a_stray_byte_after_an_answer_is_not_taken_for_the_next_answer() -> None:
    """The printer answers DLE EOT 2 with a byte and a stray "paper end" byte, then DLE EOT 4
    with "paper present": the driver reads the answer to its question, not the stray byte."""
    async with EscPosPtyPrinter() as sim:
        cfg = EscposSerial(type="escpos_serial", id="rp", device=sim.path, status_timeout_s=1)
        sim.answers = [b"\x12\x72", b"\x12"]
        assert await build_printer(cfg).probe() is PrinterStatus.OK
        assert sim.queries == 2
