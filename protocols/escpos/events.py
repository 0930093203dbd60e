"""ESC/POS events: what a receipt printer's byte stream means, one dataclass per kind.

The decoder turns bytes into these; ``protocols.escpos.receipts`` lays them out on paper and
the printer simulators answer the status requests among them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

Align = Literal["left", "center", "right"]
Font = Literal["A", "B"]
Hri = Literal["none", "above", "below", "both"]

#: GS k symbology numbers (function A 0..6 and function B 65..79) -> names
SYMBOLOGIES: dict[int, str] = {
    0: "UPC-A", 1: "UPC-E", 2: "EAN13", 3: "EAN8", 4: "CODE39", 5: "ITF", 6: "CODABAR",
    65: "UPC-A", 66: "UPC-E", 67: "EAN13", 68: "EAN8", 69: "CODE39", 70: "ITF", 71: "CODABAR",
    72: "CODE93", 73: "CODE128", 74: "GS1-128", 75: "GS1 DataBar Omnidirectional",
    76: "GS1 DataBar Truncated", 77: "GS1 DataBar Limited", 78: "GS1 DataBar Expanded",
    79: "CODE128 auto",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Text:
    """Printable text (HT included), decoded."""

    text: str


@dataclass(frozen=True, slots=True)
class Feed:
    """Print the line buffer and feed ``lines`` lines (LF = 1, ``ESC d n``), or ``dots`` dots
    (``ESC J n``: ``Feed(0, dots=n)``)."""

    lines: int
    dots: int = 0


@dataclass(frozen=True, slots=True)
class Init:
    """``ESC @``: clear the line buffer, reset modes to power-on state."""


@dataclass(frozen=True, slots=True)
class Style:
    """A print-mode change; ``None`` fields are unchanged.

    ``ESC !`` (font, bold, underline, double size), ``ESC E`` / ``ESC G`` (bold), ``ESC -``,
    ``ESC a``, ``ESC M`` (font), ``GS !`` (size, all characters), ``GS B`` (reverse); ``FS !``
    / ``FS W`` set ``wide_width`` / ``wide_height``: the size of Chinese (full-width) characters
    only (``0`` = follow ``width`` / ``height``)."""

    align: Align | None = None
    bold: bool | None = None
    underline: int | None = None
    width: int | None = None
    height: int | None = None
    font: Font | None = None
    reverse: bool | None = None
    wide_width: int | None = None
    wide_height: int | None = None


@dataclass(frozen=True, slots=True)
class Position:
    """``ESC $`` (absolute, dots from the line's start) / ``ESC \\`` (relative, may be < 0)."""

    dots: int
    relative: bool = False


@dataclass(frozen=True, slots=True)
class TabStops:
    """``ESC D n1..nk NUL``: tab stops at these character columns (empty: none)."""

    columns: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Spacing:
    """Layout settings; ``None`` fields are unchanged.

    ``line``: ``ESC 3 n`` line spacing in dots (``-1`` = ``ESC 2``, the default); ``char``:
    ``ESC SP n`` right-side spacing of half-width characters; ``wide_char``: ``FS S n1 n2``
    (left + right) for full-width ones; ``left`` / ``width``: ``GS L`` margin and ``GS W``
    print-area width in dots."""

    line: int | None = None
    char: int | None = None
    wide_char: int | None = None
    left: int | None = None
    width: int | None = None


@dataclass(frozen=True, slots=True)
class CodePage:
    """``ESC t n``: single-byte code page ``number``, decoded with Python codec ``encoding``."""

    number: int
    encoding: str


@dataclass(frozen=True, slots=True)
class Charset:
    """``ESC R n`` international set / ``FS C``, ``FS ( C`` multi-byte code system (``system``:
    ``gb18030``, ``utf-8``, ``big5``); ``None`` fields are unchanged."""

    international: int | None = None
    system: str | None = None


@dataclass(frozen=True, slots=True)
class ChineseMode:
    """``FS &`` (enabled) / ``FS .`` (disabled)."""

    enabled: bool


@dataclass(frozen=True, slots=True)
class Image:
    """A bit image printed here, as on paper: ``rows`` packed MSB first, 1 = black, any
    scaling of its command applied. ``in_line``: an ``ESC *`` strip, printed with the line
    buffer (at the current position) rather than on its own."""

    width: int
    height: int
    rows: bytes
    source: str
    in_line: bool = False


@dataclass(frozen=True, slots=True)
class QrCode:
    """``GS ( k`` print (fn 81) of the stored QR data."""

    data: str
    size: int
    error_correction: str


@dataclass(frozen=True, slots=True)
class Pdf417:
    """``GS ( k`` cn=48 print (fn 81) of the stored PDF417 data."""

    data: str
    module: int
    row_height: int


@dataclass(frozen=True, slots=True)
class BarcodeSetup:
    """``GS h`` height, ``GS w`` module, ``GS H`` HRI position, ``GS f`` HRI font."""

    height: int | None = None
    module: int | None = None
    hri: Hri | None = None
    hri_font: Font | None = None


@dataclass(frozen=True, slots=True)
class Barcode:
    """``GS k``: a 1-D barcode of symbology ``system``; ``data`` is what a reader decodes
    (CODE128's code-set switches ``{A {B {C`` resolved, code C pairs as digits)."""

    system: int
    data: str
    raw: str = ""
    """The data as sent (Latin-1) when it says more than ``data``: CODE128 / GS1-128 code
    sets, shifts and FNCs, which decide the bars."""

    @property
    def symbology(self) -> str:
        return SYMBOLOGIES.get(self.system, f"GS k {self.system}")


@dataclass(frozen=True, slots=True)
class Cut:
    """``GS V`` (any function) or legacy ``ESC i`` / ``ESC m``."""

    partial: bool


@dataclass(frozen=True, slots=True)
class StatusQuery:
    """``DLE EOT n [a]``: the host expects one real-time status byte back."""

    n: int
    a: int = 0


@dataclass(frozen=True, slots=True)
class RealtimeRequest:
    """``DLE ENQ n`` (1: recover and restart, 2: recover and clear the buffers) or ``DLE DC4 fn
    ...`` (1 drawer pulse, 2 power off, 7 send status, 8 clear buffers): real-time, no reply
    except where ``fn`` says so."""

    command: str  # "DLE ENQ" or "DLE DC4"
    fn: int
    params: bytes = b""


@dataclass(frozen=True, slots=True)
class TransmitStatus:
    """``GS r n``: status sent in order with the print data (1 paper sensor, 2 drawer)."""

    n: int


@dataclass(frozen=True, slots=True)
class ProcessIdQuery:
    """``GS ( H`` fn 48: answer ``37 22 d1..d4 00`` once the data before it is processed."""

    process_id: bytes


@dataclass(frozen=True, slots=True)
class AutoStatus:
    """``GS a n``: automatic status back enabled for the items in ``mask`` (0 = off)."""

    mask: int


@dataclass(frozen=True, slots=True)
class PrinterIdQuery:
    """``GS I n``: the host asks for the printer's ID (model, type, ROM, maker, ...)."""

    n: int


@dataclass(frozen=True, slots=True)
class Command:
    """A recognised command that does not change the decoded text (beep, drawer kick...)."""

    name: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class Unknown:
    """Bytes that are not a known command (or a command we cannot print, e.g. ``FS p`` of an
    NV image we never saw stored)."""

    raw: bytes


Event: TypeAlias = (
    Text | Feed | Init | Style | Position | TabStops | Spacing | CodePage | Charset
    | ChineseMode | Image | QrCode | Pdf417 | BarcodeSetup | Barcode | Cut | StatusQuery
    | RealtimeRequest | TransmitStatus | ProcessIdQuery | AutoStatus | PrinterIdQuery | Command
    | Unknown
)  # fmt: skip
PRINTING = (Text, Image, QrCode, Pdf417, Barcode)
"""Events that put marks on the paper (what makes a receipt)."""
