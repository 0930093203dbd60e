"""A receipt as it lies on the paper: what was printed, where, in print order.

This is the contract between the decoder (``protocols.escpos.receipts`` fills it from the
byte stream) and everything that shows a receipt: the text transcript, the PNG rendering
(``protocols.escpos.paper``) and the tests. Positions are in printer *dots* (203 dpi on the
usual thermal printer: 8 dots per mm), measured from the left edge of the printable area;
``Receipt.paper_dots`` is its width (576 for 80 mm paper, 384 for 58 mm).

Character cells follow Epson's TM-T88 / Chinese-market printers: Font A is 12 × 24 dots,
Font B 9 × 17, a Chinese (full-width) character 24 × 24 in both fonts; width and height
multipliers (``GS !``, ``ESC !``) scale the cell; ``ESC SP`` adds right-side spacing to
each half-width cell (twice to a full-width one).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal, TypeAlias

Align = Literal["left", "center", "right"]
FontName = Literal["A", "B"]
HriPosition = Literal["none", "above", "below", "both"]

#: 80 mm paper (72 mm printable) at 8 dots/mm; 58 mm paper prints 384 dots
PAPER_80MM = 576
PAPER_58MM = 384
#: (width, height) in dots of one half-width character cell, per font
FONT_CELL: dict[FontName, tuple[int, int]] = {"A": (12, 24), "B": (9, 17)}
#: a full-width (Chinese) character cell, in either font
WIDE_CELL = (24, 24)
#: default line spacing (``ESC 2``): 1/6 inch = 30 dots at 180 dpi units, 32 on 203 dpi heads
DEFAULT_LINE_DOTS = 30


def is_wide(ch: str) -> bool:
    """True for a character printed in a full-width (two-cell) Chinese cell."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def char_advance(ch: str, font: FontName = "A", width: int = 1, spacing: int = 0) -> int:
    """Dots the print position moves for ``ch`` (cell width × multiplier + spacing)."""
    if is_wide(ch):
        return (WIDE_CELL[0] + 2 * spacing) * width
    return (FONT_CELL[font][0] + spacing) * width


def text_advance(text: str, font: FontName = "A", width: int = 1, spacing: int = 0) -> int:
    """Dots ``text`` takes on one line (tabs excluded: the decoder resolves them)."""
    return sum(char_advance(ch, font, width, spacing) for ch in text)


@dataclass(frozen=True, slots=True)
class TextRun:
    """Characters printed in one style, starting ``x`` dots from the line's start.

    ``x`` is before alignment: the renderer shifts the whole line for centre/right."""

    text: str
    x: int
    font: FontName = "A"
    width: int = 1  # character width multiplier, 1..8
    height: int = 1  # character height multiplier, 1..8
    bold: bool = False
    underline: int = 0  # 0 none, 1 thin, 2 thick
    reverse: bool = False  # GS B: white on black
    spacing: int = 0  # ESC SP right-side character spacing (dots)

    @property
    def advance(self) -> int:
        return text_advance(self.text, self.font, self.width, self.spacing)


@dataclass(frozen=True, slots=True)
class PrintLine:
    """One printed line of text; ``feed`` dots of paper move after it (line spacing)."""

    runs: tuple[TextRun, ...]
    align: Align = "left"
    feed: int = DEFAULT_LINE_DOTS

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)

    @property
    def extent(self) -> int:
        """Dots from the line's start to the end of its last character."""
        return max((run.x + run.advance for run in self.runs), default=0)

    @property
    def height(self) -> int:
        """The tallest cell on the line, in dots."""
        return max((_cell_height(run) for run in self.runs), default=0)


def _cell_height(run: TextRun) -> int:
    base = WIDE_CELL[1] if any(is_wide(c) for c in run.text) else FONT_CELL[run.font][1]
    return base * run.height


@dataclass(frozen=True, slots=True)
class RasterImage:
    """A bit image (``GS v 0``, ``ESC *``, ``GS ( L`` / ``GS 8 L``, ``FS p``), as printed.

    ``rows``: ``height`` rows of ``(width + 7) // 8`` bytes, MSB first, 1 = a black dot;
    ``width``/``height`` are the printed size in dots (any double-width/height already
    applied). ``x`` is before alignment, like a text run's."""

    width: int
    height: int
    rows: bytes
    x: int = 0
    align: Align = "left"
    source: str = "GS v 0"


@dataclass(frozen=True, slots=True)
class QrItem:
    """A QR code printed here (``GS ( k`` fn 81 of the stored data)."""

    data: str
    module: int  # dots per module (``GS ( k`` fn 67)
    error_correction: str  # L, M, Q, H
    align: Align = "left"


@dataclass(frozen=True, slots=True)
class BarcodeItem:
    """A 1-D barcode printed here (``GS k``), with the settings in force when it printed."""

    symbology: str  # e.g. "CODE128", "EAN13", "CODE39", "ITF", "CODABAR", "UPC-A"
    data: str  # what the bars encode (CODE128's code-set prefix ``{B`` removed)
    height: int = 162  # GS h, dots
    module: int = 3  # GS w, dots per narrow bar
    hri: HriPosition = "none"  # GS H: human-readable digits
    hri_font: FontName = "A"  # GS f
    align: Align = "left"
    #: the ``GS k`` data as sent, when it says more than ``data`` (CODE128's code sets
    #: ``{A``/``{B``/``{C``, shifts and FNCs, code C as bytes 0-99): the bars follow it; ""
    #: means unknown, and the renderer encodes ``data`` with the fewest symbol characters
    raw: str = ""


@dataclass(frozen=True, slots=True)
class FeedItem:
    """Paper fed without printing: blank lines, ``ESC J``, ``ESC d``."""

    dots: int


@dataclass(frozen=True, slots=True)
class CutItem:
    """The paper cut here (the end of a receipt)."""

    partial: bool


Item: TypeAlias = PrintLine | RasterImage | QrItem | BarcodeItem | FeedItem | CutItem


def transcript(items: list[Item]) -> str:
    r"""The receipt as text, in print order: a test's and a human's view of the paper.

    Text lines as printed (a gap left by ``ESC $`` / ``ESC \\`` / ``HT`` becomes as many spaces
    as half-width cells fit in it, so columns line up in a monospaced font), ``[QR] data``,
    ``[BARCODE CODE128] data``, ``[IMAGE 200x80]``; blank feeds and the cut are not shown."""
    out: list[str] = []
    for item in items:
        if isinstance(item, PrintLine):
            out.append(_line_text(item))
        elif isinstance(item, QrItem):
            out.append(f"[QR] {item.data}")
        elif isinstance(item, BarcodeItem):
            out.append(f"[BARCODE {item.symbology}] {item.data}")
        elif isinstance(item, RasterImage):
            out.append(f"[IMAGE {item.width}x{item.height}]")
    return "\n".join(out) + "\n"


def _line_text(line: PrintLine) -> str:
    parts: list[str] = []
    end = 0
    for run in sorted(line.runs, key=lambda r: r.x):
        gap = run.x - end
        if gap > 0:
            parts.append(" " * round(gap / FONT_CELL[run.font][0]))
        parts.append(run.text)
        end = run.x + run.advance
    return "".join(parts)
