"""What an Epson TM / Chinese-market receipt printer sends back besides ``DLE EOT`` bytes.

- ``GS r n`` (transmit status; processed in order with the print data, so an offline printer —
  paper out, cover open — answers only once it is back online): n=1/49 paper sensor, bits 0-1
  near end, bits 2-3 paper end (never seen set: the printer is offline then); n=2/50 drawer
  kick-out connector, bit 0 pin 3 HIGH. Bits 4 and 7 are 0.
- ``GS a n`` automatic status back (ASB), 4 bytes: [1] 0x10 fixed, bit 2 drawer pin 3, bit 3
  offline, bit 5 cover open; [2] bit 3 auto-cutter error, bit 6 auto-recoverable error; [3]
  bits 0-1 near end, bits 2-3 paper end; [4] 0. Sent when enabled, then whenever an item
  enabled in n changes (bit 0 drawer, 1 online/offline and cover, 2 errors, 3 paper sensor).
- ``GS I n``: 1/49 model ID, 2/50 type ID (bit 0 multi-byte characters, bit 1 auto-cutter),
  3/51 ROM version ID — one byte each, bits 4 and 7 are 0; 65..69 (firmware, maker, model,
  serial, fonts) as ``_`` + text + NUL.
- ``DLE DC4``: fn 2 (power off, a=1 b=8) answers ``3B 30 00``; fn 8 (clear buffers,
  1 3 20 1 6 2 8) answers ``37 25 00``; fn 7 m=1 answers the 4 ASB bytes; fn 1 (drawer
  pulse) and ``DLE ENQ`` answer nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocols.escpos.status import PrinterCondition

POWER_OFF_NOTICE = b"\x3b\x30\x00"
BUFFER_CLEARED = b"\x37\x25\x00"
CLEAR_BUFFERS = b"\x01\x03\x14\x01\x06\x02\x08"
"""``DLE DC4 fn=8`` parameters that clear the buffers (anything else is ignored)."""
ASB_DRAWER, ASB_ONLINE, ASB_ERROR, ASB_PAPER = 1, 2, 4, 8


@dataclass(frozen=True, slots=True)
class PrinterIdentity:
    """What ``GS I`` reports."""

    model_id: int = 0x20
    type_id: int = 0x03  # multi-byte characters + auto-cutter
    rom_id: int = 0x01
    firmware: str = "1.00 ESC/POS"
    maker: str = "KFLEET"
    model: str = "KF-80 SIM"
    serial: str = "KF80000001"
    fonts: str = "CHINA GB18030"


def paper_bits(cond: PrinterCondition) -> int:
    """Bits 0-1 near end, 2-3 paper end (an empty roll also trips the near-end sensor)."""
    near = cond.near_end or cond.paper_out
    return (0x03 if near else 0) | (0x0C if cond.paper_out else 0)


def transmit_status(n: int, cond: PrinterCondition) -> bytes:
    """The ``GS r n`` answer (``n`` 1/49 or 2/50); ``b""`` for another ``n``."""
    n = n - 48 if n >= 48 else n
    if n == 1:
        return bytes([paper_bits(cond)])
    if n == 2:
        return bytes([0x01 if cond.drawer_high else 0x00])
    return b""


def asb_status(cond: PrinterCondition) -> bytes:
    """The four automatic-status-back bytes for ``cond``."""
    first = 0x10 | (0x04 if cond.drawer_high else 0) | (0x08 if cond.offline else 0)
    first |= 0x20 if cond.cover_open else 0
    second = 0x48 if cond.error else 0x00
    return bytes([first, second, paper_bits(cond), 0x00])


def is_asb_header(value: int) -> bool:
    """True for the first byte of an ASB answer (``0**1**00``)."""
    return value & 0x93 == 0x10


def asb_items(cond: PrinterCondition) -> dict[int, tuple[bool, ...]]:
    """Each ASB item (``GS a`` bit) and the state it watches."""
    return {
        ASB_DRAWER: (cond.drawer_high,),
        ASB_ONLINE: (cond.offline, cond.cover_open),
        ASB_ERROR: (cond.error,),
        ASB_PAPER: (cond.near_end, cond.paper_out),
    }


def printer_id(n: int, identity: PrinterIdentity) -> bytes:
    """The ``GS I n`` answer; ``b""`` for an ``n`` this printer does not answer."""
    single = {1: identity.model_id, 2: identity.type_id, 3: identity.rom_id}
    m = n - 48 if 49 <= n <= 51 else n
    if m in single:
        return bytes([single[m] & 0x6F])  # bits 4 and 7 are fixed 0
    text = {
        65: identity.firmware,
        66: identity.maker,
        67: identity.model,
        68: identity.serial,
        69: identity.fonts,
    }.get(n)
    return b"" if text is None else b"_" + text.encode("ascii", "replace") + b"\x00"
