"""Reading a receipt PNG back: where each item lies, and what its codes say.

QR codes and EAN-13 are read by OpenCV; CODE128 and CODE39 (which this OpenCV cannot read) by
small readers here that measure the bars along one row and look the patterns up in
python-barcode's tables — an encoder written independently of ours and of the renderer's.
"""

from __future__ import annotations

import itertools

import barcode.charsets.code39 as c39
import barcode.charsets.code128 as c128
import cv2
import numpy as np
import numpy.typing as npt

from protocols.escpos.layout import Item
from protocols.escpos.paper import BOTTOM, INK, printable, render_items

Pixels = npt.NDArray[np.uint8]


def spans(items: list[Item], paper_dots: int) -> list[tuple[int, int]]:
    """(first row, end row) of each item in the rendering of ``items``: where item k starts is
    the height of the rendering of the items before it."""
    heights = [render_items(items[:k], paper_dots).shape[0] - BOTTOM for k in range(len(items) + 1)]
    return list(itertools.pairwise(heights))


def crop(png: Pixels, span: tuple[int, int], quiet: int = 24) -> Pixels:
    """The item's rows of the printable area, with white around them (a reader's quiet zone)."""
    return np.pad(printable(png)[span[0] : span[1]], quiet, constant_values=255)


def read_ean(px: Pixels) -> str:
    """OpenCV's reading of the bars (HRI digits left out), told where the symbol lies: its
    detector does not find a symbol this small by itself, its decoder reads it."""
    black = px == INK
    edges = np.abs(np.diff(black.astype(np.int8), axis=1)).sum(axis=1)
    middle = int(edges.argmax())
    same = np.nonzero((black == black[middle]).all(axis=1))[0]
    top, bottom = int(same.min()), int(same.max()) + 1  # the rows of whole bars
    xs = np.nonzero(black[middle])[0]
    bars = px[top:bottom, xs.min() : xs.max() + 1]
    image = np.pad(bars, 40, constant_values=255)
    h, w = image.shape
    corners = np.array([[[38, h - 40], [38, 40], [w - 38, 40], [w - 38, h - 40]]], np.float32)
    _, texts, _ = cv2.barcode.BarcodeDetector().decodeWithType(image, corners)
    return str(texts[0]) if len(texts) else ""


def bar_runs(px: Pixels) -> list[int]:
    """Widths of alternating bars and spaces along the row that crosses the most edges."""
    black = px == INK
    edges = np.abs(np.diff(black.astype(np.int8), axis=1)).sum(axis=1)
    row = black[int(edges.argmax())]
    xs = np.nonzero(row)[0]
    if xs.size == 0:
        return []
    row = row[xs[0] : xs[-1] + 1]
    change = np.nonzero(np.diff(row.astype(np.int8)))[0]
    bounds = [0, *(change + 1).tolist(), row.size]
    return [b - a for a, b in itertools.pairwise(bounds)]


def read_code128(px: Pixels) -> str:
    """CODE128 along one row: modules per element, 11-module symbols, checksum, code sets."""
    runs = bar_runs(px)
    module = min(runs) if runs else 1
    widths = [round(r / module) for r in runs]
    values = []
    for i in range(0, len(widths) - 7, 6):
        pattern = "".join(("1" if j % 2 == 0 else "0") * w for j, w in enumerate(widths[i : i + 6]))
        if pattern not in c128.CODES:
            return f"<unknown symbol at element {i}>"
        values.append(c128.CODES.index(pattern))
    if (
        len(values) < 2
        or (values[0] + sum(i * v for i, v in enumerate(values[1:-1], 1))) % 103 != values[-1]
    ):
        return "<bad checksum>"
    return _code128_text(values[0], values[1:-1])


def _code128_text(start: int, values: list[int]) -> str:
    sets = {103: "A", 104: "B", 105: "C"}
    current, out = sets.get(start, "?"), []
    for v in values:
        if current == "C" and v < 100:
            out.append(f"{v:02d}")
        elif v in (99, 100, 101) and (current, v) not in (("A", 101), ("B", 100)):
            current = {99: "C", 100: "B", 101: "A"}[v]  # code C / B / A (FNC 4 in A, B)
        elif v < 96:
            out.append(chr(v + 32) if current == "B" or v < 64 else chr(v - 64))
    return "".join(out)


def read_code39(px: Pixels) -> str:
    """CODE39 along one row: 9 elements a character (3 wide), narrow gaps between them."""
    runs = bar_runs(px)
    if not runs:
        return ""
    narrow = min(runs)
    wide = ["W" if r > 1.5 * narrow else "N" for r in runs]
    table = {_nw(pattern): ch for ch, (_, pattern) in c39.MAP.items()}
    table[_nw(c39.EDGE)] = "*"
    chars = [table.get("".join(wide[i : i + 9]), "?") for i in range(0, len(wide), 10)]
    if len(chars) < 2 or chars[0] != "*" or chars[-1] != "*":
        return "<no start/stop>"
    return "".join(chars[1:-1])


def _nw(pattern: str) -> str:
    """python-barcode's module pattern ('1' bar, '0' space; wide = 3 modules) as N/W."""
    out, i = [], 0
    while i < len(pattern):
        j = i
        while j < len(pattern) and pattern[j] == pattern[i]:
            j += 1
        out.append("W" if j - i > 1 else "N")
        i = j
    return "".join(out)
