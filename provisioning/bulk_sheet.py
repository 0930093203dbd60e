"""The printable A4 sheet of enrollment QR codes: 3 × 4 cells per page, each with the QR code
(drawn as vector squares: sharp at any printer resolution), the device id, its name, site and
the token's expiry. Chinese names need a CJK font (``edge_agent.fonts``: fonts-wqy-microhei
on Debian, or ``KFLEET_CJK_FONT``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import segno
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from edge_agent.fonts import INSTALL_HINT, find_cjk_font
from provisioning.enroll_errors import BadInput

COLS, ROWS = 3, 4
MARGIN = 28.0  # points (~10 mm)
QR_SIZE = 110.0
FONT = "kfleet-cjk"


@dataclass(frozen=True)
class Cell:
    qr_text: str
    device_id: str
    name: str
    site: str
    expires: str  # already formatted


def _font(cells: list[Cell]) -> str:
    """The CJK font registered (if any); Helvetica when every text is ASCII."""
    path = find_cjk_font()
    if path is not None:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
        return FONT
    if all(c.name.isascii() for c in cells):
        return "Helvetica"
    raise BadInput(f"device names with Chinese characters need a CJK font: {INSTALL_HINT}")


def _qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    """The QR code of ``text`` with its lower left corner at (x, y)."""
    matrix = [list(row) for row in segno.make(text, error="m", micro=False).matrix]
    n = len(matrix) + 8  # 4 modules of quiet zone on each side
    m = size / n
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x + (c + 4) * m, y + size - (r + 5) * m, m, m, stroke=0, fill=1)


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> str:
    while text and canvas.stringWidth(text, font, size) > width:
        text = text[:-2] + "…"
    return text


def _cell(canvas: Canvas, cell: Cell, x: float, y: float, w: float, h: float, font: str) -> None:
    canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
    canvas.setDash(3, 3)
    canvas.rect(x, y, w, h, stroke=1, fill=0)  # cut line
    canvas.setDash()
    _qr(canvas, cell.qr_text, x + (w - QR_SIZE) / 2, y + h - QR_SIZE - 6, QR_SIZE)
    lines = [
        (cell.device_id, 10.0),
        (cell.name, 9.0),
        (cell.site, 8.0),
        (f"有效期至 expires {cell.expires}", 7.0),
    ]
    ty = y + h - QR_SIZE - 20
    for text, size in lines:
        canvas.setFont(font, size)
        canvas.drawCentredString(x + w / 2, ty, _fit(canvas, text, font, size, w - 8))
        ty -= size + 4


def write_sheet(cells: list[Cell], out: Path, title: str) -> int:
    """Write the PDF; the number of pages."""
    font = _font(cells)
    page_w, page_h = A4
    w = (page_w - 2 * MARGIN) / COLS
    h = (page_h - 2 * MARGIN - 20) / ROWS
    canvas = Canvas(str(out), pagesize=A4)
    canvas.setTitle(title)
    per_page = COLS * ROWS
    pages = 0
    for start in range(0, len(cells), per_page):
        pages += 1
        canvas.setFont(font, 9)
        canvas.drawString(MARGIN, page_h - MARGIN + 6, f"{title} — {pages}")
        for i, cell in enumerate(cells[start : start + per_page]):
            col, row = i % COLS, i // COLS
            x, y = MARGIN + col * w, page_h - MARGIN - 14 - (row + 1) * h
            _cell(canvas, cell, x, y, w, h, font)
        canvas.showPage()
    try:
        canvas.save()
    except OSError as err:
        raise BadInput(f"cannot write the sheet {out}: {err.strerror or err}") from err
    return pages
