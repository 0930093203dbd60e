"""What the renderer adds that the print head did not: cut lines and notes, in grey.

A full cut (``GS V 0``/``65``) is a dashed line right across, margins included, with a
scissors mark at the left; a partial cut (``GS V 1``/``66``, ``ESC m``) leaves a bridge of
paper in the middle uncut, as the cutter does, so its dashed line has a gap there. Neither
ever covers a printed dot. A note (a code the printer refused) is a line of small grey text.
"""

from __future__ import annotations

import numpy as np

from protocols.escpos.layout import FONT_CELL
from protocols.escpos.paper_font import Bitmap, Glyphs
from protocols.escpos.paper_sheet import INK, MARGIN, MARK, Sheet

#: rows a note takes (Font B cell + air)
NOTE_HEIGHT = FONT_CELL["B"][1] + 4
DASH, GAP = 6, 4
_SCISSORS = (
    ".##.........",
    "#..#.....##.",
    ".##..####...",
    "...##.......",
    ".##..####...",
    "#..#.....##.",
    ".##.........",
)
_SMALL = np.array([[c == "#" for c in row] for row in _SCISSORS], dtype=bool)
#: the scissors mark, drawn at twice its pattern's size just above the cut line
SCISSORS: Bitmap = np.kron(_SMALL, np.ones((2, 2), dtype=bool))


def cut_dashes(width: int, *, partial: bool) -> Bitmap:
    """The dash pattern of a cut line ``width`` pixels long (a gap mid-way if partial)."""
    dashes = (np.arange(width) % (DASH + GAP)) < DASH
    if partial:
        mid, half = width // 2, max(width // 12, DASH + GAP)
        dashes[mid - half : mid + half] = False
    return dashes


def draw_cut(sheet: Sheet, y: int, *, partial: bool) -> None:
    """A dashed line along row ``y`` (2 rows if a full cut) and the scissors mark."""
    rows = (y,) if partial else (y, y + 1)
    width = sheet.pixels.shape[1]
    dashes = cut_dashes(width, partial=partial)
    for row in rows:
        if 0 <= row < sheet.height:
            line = sheet.pixels[row]
            line[dashes & (line != INK)] = MARK
    top = y - SCISSORS.shape[0] - 1
    _grey(sheet, top, MARGIN + 2, SCISSORS)


def draw_note(sheet: Sheet, glyphs: Glyphs, y: int, text: str) -> None:
    """``text`` in Font B, grey, from the left edge of the printable area at row ``y``."""
    x = 0
    for ch in text:
        bits = glyphs.glyph(ch, "B")
        if x + bits.shape[1] > sheet.paper_dots:
            break
        _grey(sheet, y + 2, MARGIN + x, bits)
        x += bits.shape[1]


def _grey(sheet: Sheet, y: int, x: int, bits: Bitmap) -> None:
    """Paint ``bits`` in MARK grey at pixel (y, x), never over ink, clipped to the image."""
    h, w = sheet.pixels.shape
    y0, y1, x0, x1 = max(y, 0), min(y + bits.shape[0], h), max(x, 0), min(x + bits.shape[1], w)
    if y0 >= y1 or x0 >= x1:
        return
    region = sheet.pixels[y0:y1, x0:x1]
    part = bits[y0 - y : y1 - y, x0 - x : x1 - x]
    region[part & (region != INK)] = MARK
