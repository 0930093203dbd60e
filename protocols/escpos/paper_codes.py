"""QR codes and 1-D barcodes as dot bitmaps, the size the printer makes them.

A QR code is its module matrix, each module ``QrItem.module`` dots square, with no quiet
zone: ESC/POS printers print the symbol only and leave the quiet zone to the host (Epson and
its clones say so for ``GS ( k`` fn 67 / fn 81). Segno makes the matrix (``paper_qr``): model 2, the
smallest version for the data at the requested error correction level (not boosted).

A barcode is its bars (``paper_barcode``), ``BarcodeItem.height`` dots tall, with the HRI
text above and/or below in the HRI font, centred on the bars, a few dots away from them.
"""

from __future__ import annotations

import numpy as np

from protocols.escpos.layout import BarcodeItem, QrItem, char_advance
from protocols.escpos.paper_barcode import element_dots, encode
from protocols.escpos.paper_font import Bitmap, Glyphs
from protocols.escpos.paper_pdf417 import pdf417_bitmap
from protocols.escpos.paper_qr import qr_modules

#: dots between the bars and their HRI text
HRI_GAP = 4
_EC = {"L": "l", "M": "m", "Q": "q", "H": "h"}


def qr_bitmap(item: QrItem) -> Bitmap:
    """The symbol's dots (True = black), ``module`` dots per module, no quiet zone."""
    payload = item.data.encode("utf-8")
    matrix = qr_modules(payload, _EC.get(item.error_correction.upper(), "l"))
    module = max(1, item.module)
    # each module ``module`` dots square: two repeats, a sixth of ``np.kron``'s CPU (issue 17)
    return matrix.repeat(module, axis=0).repeat(module, axis=1)


def barcode_bitmap(item: BarcodeItem, glyphs: Glyphs) -> Bitmap:
    """Bars and HRI text; raises ``paper_barcode.BarcodeError`` if the printer refuses it."""
    if item.symbology.upper() == "PDF417":
        return pdf417_bitmap(item)
    symbol = encode(item.symbology, item.data, item.raw)
    widths = element_dots(symbol, max(1, item.module))
    row = np.repeat(np.arange(len(widths)) % 2 == 0, widths)
    bars = np.broadcast_to(row, (max(1, item.height), row.size))
    hri = _hri_bitmap(symbol.hri, item, glyphs)
    width = max(bars.shape[1], hri.shape[1])
    parts: list[Bitmap] = []
    if item.hri in ("above", "both"):
        parts += [_centre(hri, width), np.zeros((HRI_GAP, width), dtype=bool)]
    parts.append(_centre(np.asarray(bars), width))
    if item.hri in ("below", "both"):
        parts += [np.zeros((HRI_GAP, width), dtype=bool), _centre(hri, width)]
    return np.vstack(parts)


def bars_offset(item: BarcodeItem, glyphs: Glyphs) -> tuple[int, int]:
    """(row, column) of the bars' top-left corner inside ``barcode_bitmap(item)``."""
    symbol = encode(item.symbology, item.data, item.raw)
    bars_w = sum(element_dots(symbol, max(1, item.module)))
    hri = _hri_bitmap(symbol.hri, item, glyphs)
    top = hri.shape[0] + HRI_GAP if item.hri in ("above", "both") else 0
    return top, max(0, (hri.shape[1] - bars_w) // 2)


def _hri_bitmap(text: str, item: BarcodeItem, glyphs: Glyphs) -> Bitmap:
    if item.hri == "none" or not text:
        return np.zeros((0, 0), dtype=bool)
    cells = [glyphs.glyph(ch, item.hri_font) for ch in text]
    height = max(c.shape[0] for c in cells)
    out = np.zeros((height, sum(char_advance(ch, item.hri_font) for ch in text)), dtype=bool)
    x = 0
    for ch, cell in zip(text, cells, strict=True):
        out[height - cell.shape[0] :, x : x + cell.shape[1]] = cell
        x += char_advance(ch, item.hri_font)
    return out


def _centre(bits: Bitmap, width: int) -> Bitmap:
    out = np.zeros((bits.shape[0], width), dtype=bool)
    left = (width - bits.shape[1]) // 2
    out[:, left : left + bits.shape[1]] = bits
    return out
