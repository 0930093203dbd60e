"""Printing a line of text on the sheet, cell by cell, as the print head does.

Each character is its base bitmap (``paper_font``) enlarged by repeating dots (width and
height multipliers), followed by its right-side spacing (``ESC SP``, doubled for a full-width
character, scaled by the width multiplier — ``layout.char_advance``). Cells of different
heights on one line stand on a common bottom line. Reverse (``GS B``) prints the whole cell,
spacing included, black with the glyph left white; it takes precedence over underline, as
on Epson printers. Underline (``ESC -``) is 1 or 2 dots at the bottom of the cell, under the
spacing too.
"""

from __future__ import annotations

import numpy as np

from protocols.escpos.layout import Align, PrintLine, TextRun, is_wide
from protocols.escpos.paper_font import Glyphs
from protocols.escpos.paper_sheet import INK, PAPER, Sheet


def align_shift(align: Align, extent: int, paper_dots: int) -> int:
    """Dots a line (or image, or code) ``extent`` wide moves right for its alignment."""
    room = max(paper_dots - extent, 0)
    if align == "center":
        return room // 2
    if align == "right":
        return room
    return 0


def line_advance(line: PrintLine) -> int:
    """Dots the paper moves for a line: its spacing, but never less than its tallest cell."""
    return max(line.feed, line.height)


def draw_line(sheet: Sheet, glyphs: Glyphs, line: PrintLine, top: int) -> None:
    """Print ``line`` with the top of its tallest cell at row ``top``."""
    shift = align_shift(line.align, line.extent, sheet.paper_dots)
    bottom = top + line.height
    for run in line.runs:
        _draw_run(sheet, glyphs, run, shift + run.x, bottom)


def _draw_run(sheet: Sheet, glyphs: Glyphs, run: TextRun, x: int, bottom: int) -> None:
    for ch in run.text:
        base = glyphs.glyph(ch, run.font, run.bold)
        spacing = run.spacing * (2 if is_wide(ch) else 1)
        cell_w = (base.shape[1] + spacing) * run.width
        cell_h = base.shape[0] * run.height
        bits = base
        if run.width > 1 or run.height > 1:
            bits = np.repeat(np.repeat(base, run.height, axis=0), run.width, axis=1)
        y = bottom - cell_h
        if run.reverse:
            sheet.fill(y, x, cell_h, cell_w, INK)
            sheet.ink(y, x, bits, PAPER)
        else:
            sheet.ink(y, x, bits)
            if run.underline:
                thick = min(run.underline, 2)
                sheet.fill(bottom - thick, x, thick, cell_w, INK)
        x += cell_w
