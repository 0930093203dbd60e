"""QR codes and barcodes on the receipt PNG: readable, the printer's size, where they print.

OpenCV reads the QR codes and the EAN/UPC barcodes (its barcode reader knows no other
symbology in this version: CODE128 and CODE39 were tried and it returns nothing); the other
symbologies are checked bar by bar against python-barcode's tables, an encoder written
independently of ours.
"""

from __future__ import annotations

import numpy as np
import pytest

from protocols.escpos.layout import BarcodeItem, QrItem
from protocols.escpos.paper import MARK, TOP
from tests.qr_read import read_qr
from tests.unit.escpos_paper_kit import Pixels, bands, ink, ink_box, render, text


def pad(px: Pixels, box: tuple[int, int, int, int], quiet: int) -> Pixels:
    """The box cut out with ``quiet`` dots of white around it (the host's quiet zone)."""
    top, bottom, left, right = box
    return np.pad(px[top:bottom, left:right], quiet, constant_values=255)


@pytest.mark.parametrize(
    ("data", "module", "ec"),
    [
        ("https://gov.example/q/A023", 4, "M"),
        ("A023", 3, "L"),
        ("黄河路街道办事处 A023", 6, "H"),
        ("1234567890" * 8, 2, "Q"),
    ],
)
def test_a_qr_code_reads_back_where_it_printed(data: str, module: int, ec: str) -> None:
    px = render([text("BEFORE"), QrItem(data, module, ec, align="center"), text("AFTER")])
    found = bands(px)
    before, after = found[0], found[-1]
    top, bottom, left, right = ink_box(px[before[1] : after[0]])
    top, bottom = top + before[1], bottom + before[1]
    assert before[1] <= top and bottom <= after[0]  # between the lines, in print order
    assert top == TOP + 30 and after[0] - bottom < 12  # right after BEFORE; AFTER follows
    size = right - left
    assert size == bottom - top and size % module == 0
    assert (size // module - 17) % 4 == 0  # 17 + 4v modules: no quiet zone printed
    assert abs((left + right) / 2 - 288) <= 1
    assert read_qr(pad(px, (top, bottom, left, right), 4 * module)) == data


def test_a_left_aligned_qr_code_starts_at_the_paper_edge() -> None:
    px = render([QrItem("A023", 5, "L")])
    top, bottom, left, right = ink_box(px)
    assert (top, left) == (TOP, 0)
    assert right == bottom - TOP == 21 * 5  # version 1


#: the format information's 15 modules around the top-left finder, most significant first
FORMAT_MODULES = [(8, c) for c in (0, 1, 2, 3, 4, 5, 7, 8)] + [
    (r, 8) for r in (7, 5, 4, 3, 2, 1, 0)
]
FORMAT_MASK = 0b101010000010010
EC_BITS = {1: "L", 0: "M", 3: "Q", 2: "H"}


def printed_ec_level(px: Pixels, module: int) -> str:
    """The error correction level a QR symbol's format information declares (ISO 18004)."""
    top, _, left, _ = ink_box(px)
    bits = 0
    for row, col in FORMAT_MODULES:
        dark = ink(px)[top + row * module + module // 2, left + col * module + module // 2]
        bits = (bits << 1) | int(dark)
    return EC_BITS[(bits ^ FORMAT_MASK) >> 13]


def test_error_correction_level_is_the_one_asked_for_not_boosted() -> None:
    sizes = {}
    for ec in "LMQH":
        px = render([QrItem("x" * 40, 2, ec)])
        assert printed_ec_level(px, 2) == ec  # a printer does not raise the level itself
        sizes[ec] = ink_box(px)[3] // 2
    assert sizes == {"L": 29, "M": 29, "Q": 33, "H": 37}  # versions 3, 3, 4, 5 for 40 bytes


def test_a_qr_code_wider_than_the_paper_is_not_printed() -> None:
    px = render([QrItem("x" * 300, 8, "H")], paper=384)
    assert not ink(px).any()
    assert (px == MARK).any()  # the note saying so


def test_a_refused_code_leaves_a_note_not_ink() -> None:
    px = render([BarcodeItem("EAN13", "12AB", height=50)])
    assert not ink(px).any()
    assert (px == MARK).sum() > 100
