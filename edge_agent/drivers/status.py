"""Printer status as the real-time ``DLE EOT`` replies report it. Pure; no hardware imports.

Kept apart from the driver so the agent (and the health mapping) can use the vocabulary
without importing python-escpos, which configures the root logger when it is imported.
"""

from __future__ import annotations

from enum import StrEnum


def dle_eot(n: int) -> bytes:
    """``DLE EOT n``: real-time status request (1 printer, 2 offline cause, 3 error, 4 paper)."""
    return bytes([0x10, 0x04, n])


class PrinterStatus(StrEnum):
    """What the printer said (or did not say) about itself."""

    OK = "ok"
    NEAR_END = "near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    ERROR = "error"
    NO_REPLY = "no_reply"  # never treated as OK: a silent printer may be dead
    UNREACHABLE = "unreachable"

    @property
    def can_print(self) -> bool:
        return self in (PrinterStatus.OK, PrinterStatus.NEAR_END)


def decode_status(offline_cause: int, paper: int | None) -> PrinterStatus:
    """Combine ``DLE EOT 2`` (offline cause) and ``DLE EOT 4`` (paper sensor) replies.

    DLE EOT 2: bit 2 cover open, bit 5 stopped by paper end, bit 6 error.
    DLE EOT 4: bits 2-3 near end, bits 5-6 paper end.
    """
    if offline_cause & 0x04:
        return PrinterStatus.COVER_OPEN
    if offline_cause & 0x20 or (paper is not None and paper & 0x60):
        return PrinterStatus.PAPER_OUT
    if offline_cause & 0x40:
        return PrinterStatus.ERROR
    if paper is not None and paper & 0x0C:
        return PrinterStatus.NEAR_END
    return PrinterStatus.OK
