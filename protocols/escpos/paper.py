"""A receipt as the paper would show it: a greyscale image, one pixel per printer dot.

``render_receipt(receipt)`` draws ``receipt.items`` (``protocols.escpos.layout``) top to
bottom in print order on a sheet ``receipt.paper_dots`` wide — text in its cells, raster
images dot for dot, QR codes and barcodes at their alignment, feeds as blank paper, cuts as a
dashed line with a scissors mark — and returns a ``uint8`` array: black dots 0, white paper
255. Greys that no dot has show what is not ink (``paper_sheet``): a strip of ``MARGIN``
pixels either side of the printable area, the cut marks, the desk below the paper after the
last cut, and a note where the printer refused a code. ``receipt_png`` encodes it as a small
PNG (2 bits per pixel). ``printable(pixels)`` cuts the side strips off, leaving exactly
``paper_dots`` columns.

Vertical rules: a line of text takes ``max(line.feed, line.height)`` rows (the printer never
feeds less than the tallest cell), its cells standing on the line's bottom; an image, a code
and a feed take their height; a cut takes none. A QR code or barcode wider than the paper
is not printed, as on Epson printers; a note says so. Rendering is pure Python + NumPy and
thread-safe; call it from a thread (``asyncio.to_thread``) inside an event loop.
"""

from __future__ import annotations

import functools
import io
import logging
from pathlib import Path

import numpy as np
from PIL import Image

from protocols.escpos.layout import (
    BarcodeItem,
    CutItem,
    FeedItem,
    Item,
    PrintLine,
    QrItem,
    RasterImage,
)
from protocols.escpos.paper_barcode import BarcodeError
from protocols.escpos.paper_codes import barcode_bitmap, qr_bitmap
from protocols.escpos.paper_font import Bitmap, Glyphs, find_font
from protocols.escpos.paper_marks import NOTE_HEIGHT, draw_cut, draw_note
from protocols.escpos.paper_sheet import EDGE, INK, MARGIN, MARK, PAPER, Canvas, Sheet, printable
from protocols.escpos.paper_text import align_shift, draw_line, line_advance
from protocols.escpos.receipts import Receipt

log = logging.getLogger(__name__)

__all__ = [
    "EDGE",
    "INK",
    "MARGIN",
    "MARK",
    "MAX_ROWS",
    "PAPER",
    "TOP",
    "png_bytes",
    "printable",
    "raster_bitmap",
    "receipt_png",
    "receipt_png_or_none",
    "render_items",
    "render_receipt",
]

#: blank paper above the first item (where the previous receipt was cut off)
TOP = 8
#: rows below the end: desk after a cut, or more paper still on the roll
BOTTOM = 16
#: the longest receipt drawn (5 m of paper); the rest is left off with a note saying so
MAX_ROWS = 40_000


@functools.lru_cache(maxsize=8)
def _glyphs(font: Path | None) -> Glyphs:
    return Glyphs(font)


def render_receipt(receipt: Receipt, *, font: Path | None = None) -> Canvas:
    """The receipt as printed: ``(rows, paper_dots + 2 * MARGIN)`` uint8, ink 0, paper 255.

    ``font``: a TrueType/OpenType font with Chinese glyphs; None looks for one
    (``paper_font.find_font``)."""
    return render_items(receipt.items, receipt.paper_dots, font=font)


def render_items(items: list[Item], paper_dots: int, *, font: Path | None = None) -> Canvas:
    """``render_receipt`` for bare items (a receipt's ``items``) on ``paper_dots`` paper."""
    if paper_dots <= 0:
        raise ValueError(f"paper_dots must be positive, got {paper_dots}")
    glyphs = _glyphs(font if font is not None else find_font())
    blocks = [_block(item, glyphs, paper_dots) for item in items]
    items, blocks = _within_limit(items, blocks)
    ends_cut = bool(items) and isinstance(items[-1], CutItem)
    height = TOP + sum(b.height for b in blocks) + BOTTOM
    sheet = Sheet(paper_dots, height)
    y = TOP
    for item, block in zip(items, blocks, strict=True):
        block.draw(sheet, glyphs, item, y)
        y += block.height
    if ends_cut:
        sheet.pixels[y + 1 :, :] = EDGE  # the paper ends at the cut
    return sheet.pixels


def _within_limit(items: list[Item], blocks: list[_Block]) -> tuple[list[Item], list[_Block]]:
    """The items that fit in ``MAX_ROWS``, then a note on what was left off."""
    total = 0
    for i, block in enumerate(blocks):
        if total + block.height > MAX_ROWS:
            rest = sum(b.height for b in blocks[i:])
            note = _Block(NOTE_HEIGHT, note=f"{rest} more dots of paper not drawn")
            return [*items[:i], FeedItem(0)], [*blocks[:i], note]
        total += block.height
    return items, blocks


class _Block:
    """An item's rows on the paper, and how to draw it (bitmap prepared when measured)."""

    def __init__(self, height: int, bits: Bitmap | None = None, note: str = "") -> None:
        self.height = height
        self.bits = bits
        self.note = note

    def draw(self, sheet: Sheet, glyphs: Glyphs, item: Item, y: int) -> None:
        if self.note:
            draw_note(sheet, glyphs, y, self.note)
        elif isinstance(item, PrintLine):
            draw_line(sheet, glyphs, item, y)
        elif isinstance(item, CutItem):
            draw_cut(sheet, y, partial=item.partial)
        elif self.bits is not None and isinstance(item, RasterImage | QrItem | BarcodeItem):
            x = item.x if isinstance(item, RasterImage) else 0
            shift = align_shift(item.align, x + self.bits.shape[1], sheet.paper_dots)
            sheet.ink(y, x + shift, self.bits)


def _block(item: Item, glyphs: Glyphs, paper_dots: int) -> _Block:
    if isinstance(item, PrintLine):
        return _Block(line_advance(item))
    if isinstance(item, FeedItem):
        return _Block(max(0, item.dots))
    if isinstance(item, CutItem):
        return _Block(0)
    if isinstance(item, RasterImage):
        return _Block(item.height, raster_bitmap(item))
    if not isinstance(item, QrItem | BarcodeItem):  # an item kind newer than this renderer
        return _Block(NOTE_HEIGHT, note=f"[{type(item).__name__}] not drawn")
    try:
        bits = qr_bitmap(item) if isinstance(item, QrItem) else barcode_bitmap(item, glyphs)
    except (BarcodeError, ValueError) as exc:
        return _Block(NOTE_HEIGHT, note=str(exc))
    if bits.shape[1] > paper_dots:
        what = "QR code" if isinstance(item, QrItem) else f"{item.symbology} barcode"
        return _Block(NOTE_HEIGHT, note=f"{what} {bits.shape[1]} dots wide: not printed")
    return _Block(bits.shape[0], bits)


def raster_bitmap(image: RasterImage) -> Bitmap:
    """An image's rows unpacked (MSB first, 1 = black) to ``height`` × ``width`` dots."""
    stride = (image.width + 7) // 8
    data = np.frombuffer(image.rows, dtype=np.uint8)
    need = stride * image.height
    if data.size < need:  # a short image prints what arrived; the rest stays blank
        data = np.concatenate([data, np.zeros(need - data.size, dtype=np.uint8)])
    bits = np.unpackbits(data[:need].reshape(image.height, stride), axis=1)
    return bits[:, : image.width].astype(bool)


def receipt_png(receipt: Receipt, *, font: Path | None = None, edges: bool = True) -> bytes:
    """``render_receipt`` as PNG bytes (a 4-colour palette, 2 bits per pixel); without
    ``edges``, the printable area only: exactly ``receipt.paper_dots`` pixels wide."""
    pixels = render_receipt(receipt, font=font)
    return png_bytes(pixels if edges else printable(pixels))


def receipt_png_or_none(receipt: Receipt, *, font: Path | None = None) -> bytes | None:
    """``receipt_png``, or None (logged) if rendering fails: a simulator must never lose
    the receipt's text and bytes because its picture could not be drawn."""
    try:
        return receipt_png(receipt, font=font)
    except Exception:  # a rendering bug must not cost the receipt
        log.exception("receipt PNG not rendered (the .txt and .bin are written anyway)")
        return None


_LEVELS = (INK, MARK, EDGE, PAPER)
#: grey level → palette index, for Pillow's ``point`` (one pass in C, not four in NumPy)
_INDEX = [_LEVELS.index(v) if v in _LEVELS else 0 for v in range(256)]


def png_bytes(pixels: Canvas) -> bytes:
    """A rendering as a 2-bit palette PNG; the palette holds the four grey levels."""
    image = Image.fromarray(np.ascontiguousarray(pixels), mode="L").point(_INDEX)
    image.putpalette([v for level in _LEVELS for v in (level, level, level)])  # → mode P
    out = io.BytesIO()
    image.save(out, format="PNG", bits=2)
    return out.getvalue()
