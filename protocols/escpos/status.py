"""The ``DLE EOT`` real-time status codec, shared by the agent's receipt driver (which asks and
decodes) and the printer simulator (which answers): one definition of the status bits.

Epson's real-time status bytes always have bits 1 and 4 set and bits 0 and 7 clear. A reply
without that pattern is not a status byte (line noise, a wrong baud rate, a printer that echoes,
a stray byte of another answer): it decodes as ``garbled``, never as "ready".

- ``DLE EOT 1`` printer: bit 3 offline.
- ``DLE EOT 2`` offline cause: bit 2 cover open, bit 5 stopped by paper end, bit 6 error.
- ``DLE EOT 3`` error cause: bit 3 auto-cutter error, bit 5 unrecoverable, bit 6 auto-recoverable.
- ``DLE EOT 4`` roll paper sensor: bits 2-3 near end, bits 5-6 paper end.

Answers that are not real-time (``GS r``, ``GS I``) and automatic status back (``GS a``) are
defined in ``protocols.escpos.replies``; each family has its own fixed bits, so a host can tell
them apart in one stream (``0**1**10`` DLE EOT, ``0**1**00`` first ASB byte, ``0**0****``
GS r / GS I / other ASB bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DLE, EOT = 0x10, 0x04
#: bits 1 and 4 are always set in a DLE EOT status byte (and bits 0 and 7 clear)
FIXED_BITS = 0x12
_FIXED_MASK = 0x93
_OFFLINE = 0x08
_COVER_OPEN = 0x04
_PAPER_STOP = 0x20
_ERROR = 0x40
_CUTTER_ERROR = 0x08
_NEAR_END = 0x0C
_PAPER_END = 0x60


def dle_eot(n: int) -> bytes:
    """``DLE EOT n``: real-time status request (1 printer, 2 offline cause, 3 error, 4 paper)."""
    if n not in (1, 2, 3, 4):
        raise ValueError(f"DLE EOT n must be 1..4, not {n}")
    return bytes([DLE, EOT, n])


class PrinterStatus(StrEnum):
    """What the printer said (or did not say) about itself."""

    OK = "ok"
    NEAR_END = "near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    ERROR = "error"
    NO_REPLY = "no_reply"  # never treated as OK: a silent printer may be dead
    GARBLED = "garbled"  # the reply was not a status byte: nothing is known, never OK
    UNREACHABLE = "unreachable"

    @property
    def can_print(self) -> bool:
        return self in (PrinterStatus.OK, PrinterStatus.NEAR_END)


@dataclass(frozen=True, slots=True)
class PrinterCondition:
    """The physical state a printer reports through its status bytes."""

    cover_open: bool = False
    paper_out: bool = False
    near_end: bool = False
    error: bool = False
    drawer_high: bool = False  # drawer kick-out connector pin 3 HIGH (a closed drawer on most)

    @property
    def offline(self) -> bool:
        return self.cover_open or self.paper_out or self.error


def status_byte(n: int, cond: PrinterCondition) -> int | None:
    """The status byte a printer in ``cond`` answers to ``DLE EOT n``; None for another ``n``.

    An empty roll also trips the near-end sensor, as on real printers.
    """
    if n == 1:
        return FIXED_BITS | (_OFFLINE if cond.offline else 0)
    if n == 2:
        return (
            FIXED_BITS
            | (_COVER_OPEN if cond.cover_open else 0)
            | (_PAPER_STOP if cond.paper_out else 0)
            | (_ERROR if cond.error else 0)
        )
    if n == 3:
        return FIXED_BITS | (_CUTTER_ERROR if cond.error else 0)
    if n == 4:
        near = cond.near_end or cond.paper_out
        return FIXED_BITS | (_NEAR_END if near else 0) | (_PAPER_END if cond.paper_out else 0)
    return None


def is_status_byte(value: int) -> bool:
    """True if ``value`` has the fixed bits of a real-time status byte."""
    return value & _FIXED_MASK == FIXED_BITS


def decode_status(offline_cause: int, paper: int | None) -> PrinterStatus:
    """Combine ``DLE EOT 2`` (offline cause) and ``DLE EOT 4`` (paper sensor) replies; ``paper``
    None when the printer did not answer the second query. Either reply failing the fixed-bit
    check (:func:`is_status_byte`) makes the whole answer ``garbled``."""
    if not is_status_byte(offline_cause) or (paper is not None and not is_status_byte(paper)):
        return PrinterStatus.GARBLED
    if offline_cause & _COVER_OPEN:
        return PrinterStatus.COVER_OPEN
    if offline_cause & _PAPER_STOP or (paper is not None and paper & _PAPER_END):
        return PrinterStatus.PAPER_OUT
    if offline_cause & _ERROR:
        return PrinterStatus.ERROR
    if paper is not None and paper & _NEAR_END:
        return PrinterStatus.NEAR_END
    return PrinterStatus.OK
