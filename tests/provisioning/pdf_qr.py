"""Reading the bulk sheet back as a scanner would: pypdf for pages and text, and each QR code
rebuilt from the filled squares in the page's content stream, then decoded by OpenCV's ArUco QR
detector (no PDF renderer needed: the codes are vector squares)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
from pypdf import PdfReader
from pypdf.generic import ContentStream

from provisioning.bulk_sheet import COLS, MARGIN
from tests.qr_read import read_qr


def _squares(page: object, reader: PdfReader) -> list[tuple[float, float, float]]:
    """(x, y, side) of every small filled square drawn with ``re`` then ``f``."""
    ops = ContentStream(page.get_contents(), reader).operations  # type: ignore[attr-defined]
    out = []
    for i, (operands, op) in enumerate(ops):
        if op == b"re" and i + 1 < len(ops) and ops[i + 1][1] in (b"f", b"f*"):
            x, y, w, h = (float(v) for v in operands)
            if abs(w - h) < 1e-6 and w < 6:
                out.append((x, y, w))
    return out


def _decode(squares: list[tuple[float, float, float]]) -> str:
    side = squares[0][2]
    xs = [round(x / side) for x, _, _ in squares]
    ys = [round(y / side) for _, y, _ in squares]
    x0, y1 = min(xs), max(ys)
    n = max(max(xs) - x0, y1 - min(ys)) + 1
    grid = np.full((n + 8, n + 8), 255, np.uint8)
    for x, y in zip(xs, ys, strict=True):
        grid[4 + y1 - y, 4 + x - x0] = 0
    image = cv2.resize(grid, None, fx=8, fy=8, interpolation=cv2.INTER_NEAREST)
    return read_qr(image)


def qr_texts(pdf: Path) -> list[list[str]]:
    """Per page, the decoded text of each QR code, in reading order (rows, then columns)."""
    reader = PdfReader(pdf)
    pages = []
    width = float(reader.pages[0].mediabox.width)
    cell_w = (width - 2 * MARGIN) / COLS
    for page in reader.pages:
        cells: dict[tuple[int, int], list[tuple[float, float, float]]] = defaultdict(list)
        squares = _squares(page, reader)
        top = max((y for _, y, _ in squares), default=0.0)
        for sq in squares:
            col = int((sq[0] - MARGIN) // cell_w)
            row = int((top - sq[1]) // cell_w)  # rows are taller than wide: no overlap
            cells[(row, col)].append(sq)
        pages.append([_decode(cells[k]) for k in sorted(cells)])
    return pages


def page_texts(pdf: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(pdf).pages]
