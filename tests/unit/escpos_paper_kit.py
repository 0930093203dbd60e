"""Helpers for the receipt-rendering tests: build items, render them, find the ink."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import numpy.typing as npt

from protocols.escpos.layout import Align, FontName, Item, PrintLine, TextRun
from protocols.escpos.paper import INK, printable, render_items
from protocols.escpos.paper_font import find_font
from tests.conftest import require_or_skip

Pixels = npt.NDArray[np.uint8]


def cjk_font() -> Path:
    """The CJK font the renderer would find, or a skip (a failure in CI) without one."""
    font = find_font()
    if font is None:
        require_or_skip("a CJK font (apt-get install fonts-wqy-microhei, or KFLEET_CJK_FONT)")
    return font


def render(items: list[Item], paper: int = 576) -> Pixels:
    """The printable area of ``items`` rendered on ``paper`` dots."""
    return printable(render_items(items, paper, font=cjk_font()))


def text(
    s: str,
    *,
    align: Align = "left",
    font: FontName = "A",
    feed: int = 30,
    x: int = 0,
    width: int = 1,
    height: int = 1,
    bold: bool = False,
    underline: int = 0,
    reverse: bool = False,
    spacing: int = 0,
) -> PrintLine:
    """A one-run line."""
    run = TextRun(s, x, font, width, height, bold, underline, reverse, spacing)
    return PrintLine((run,), align=align, feed=feed)


def ink(px: Pixels) -> npt.NDArray[np.bool_]:
    return px == INK


def ink_box(px: Pixels) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the ink, bottom/right exclusive."""
    ys, xs = np.nonzero(ink(px))
    assert ys.size, "nothing was printed"
    return int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1


def bands(px: Pixels) -> list[tuple[int, int]]:
    """Runs of rows holding ink, top to bottom: (first, last + 1)."""
    rows = ink(px).any(axis=1)
    out: list[tuple[int, int]] = []
    start = None
    for y, on in enumerate([*rows.tolist(), False]):
        if on and start is None:
            start = y
        elif not on and start is not None:
            out.append((start, y))
            start = None
    return out


def runs(row: npt.NDArray[np.bool_]) -> list[int]:
    """Lengths of alternating runs along ``row`` from its first True to its last True."""
    on = np.nonzero(row)[0]
    seg = row[on.min() : on.max() + 1]
    edges = np.nonzero(np.diff(seg.astype(np.int8)))[0] + 1
    bounds = [0, *edges.tolist(), seg.size]
    return [b - a for a, b in itertools.pairwise(bounds)]
