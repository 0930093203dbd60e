"""PDF417 (``GS ( k`` cn 48) as dots: pdf417gen makes the codewords, we lay out the rows.

The printer's own choices are approximated: ``BarcodeItem.module`` is the module width
(fn 67, default 3 dots); ``BarcodeItem.height`` is the row height — a multiple of the
module width when it is at most 8 (fn 68's n), else dots; error correction level 2 and the
fewest of 6…30 data columns that keep the symbol within 90 rows (the printer's "auto"
settings may pick other columns, so the symbol's shape, not its content, may differ).
"""

from __future__ import annotations

import numpy as np
import pdf417gen

from protocols.escpos.layout import BarcodeItem
from protocols.escpos.paper_barcode_errors import BarcodeError
from protocols.escpos.paper_font import Bitmap


def pdf417_bitmap(item: BarcodeItem) -> Bitmap:
    """The symbol's dots (True = black), no quiet zone, as the printer prints it."""
    codes = _codewords(item.data)
    rows = [
        np.array([c == "1" for value in row for c in format(value, "b")], dtype=bool)
        for row in codes
    ]
    matrix = np.vstack(rows)
    module = max(1, item.module)
    row_height = item.height * module if item.height <= 8 else item.height
    return np.repeat(np.repeat(matrix, max(1, row_height), axis=0), module, axis=1)


def _codewords(data: str) -> list[list[int]]:
    if not data:
        raise BarcodeError("PDF417 needs data: not printed")
    for columns in range(6, 31):
        try:
            codes: list[list[int]] = pdf417gen.encode(data, columns=columns, security_level=2)
        except ValueError:
            continue
        return codes
    raise BarcodeError(f"PDF417 cannot hold {len(data)} characters: not printed")
