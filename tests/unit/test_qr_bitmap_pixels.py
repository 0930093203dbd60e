"""A receipt's QR code as the proof draws it (``paper_codes.qr_bitmap``) is segno's symbol,
each module ``module`` dots square, dot for dot (the fast paths of issue 17 against the plain
reference: ``segno.make_qr`` and ``np.kron``)."""

from __future__ import annotations

import numpy as np
import pytest
import segno

from protocols.escpos.layout import QrItem
from protocols.escpos.paper_codes import qr_bitmap

PAYLOADS = ("https://gov.example.invalid/q/A023", "A001", "黄河路街道 排队号 B117", "x" * 200)


@pytest.mark.parametrize("module", [1, 2, 3, 6, 8])
@pytest.mark.parametrize("ec", ["L", "M", "Q", "H"])
def test_the_qr_dots_are_segnos_modules_blown_up(module: int, ec: str) -> None:
    for data in PAYLOADS:
        symbol = segno.make_qr(data.encode(), error=ec.lower(), boost_error=False)
        modules = np.array([list(row) for row in symbol.matrix], dtype=bool)
        expected = np.kron(modules, np.ones((module, module), dtype=bool))
        dots = qr_bitmap(QrItem(data, module, ec))
        assert dots.dtype == np.bool_
        assert np.array_equal(dots, expected), (data, module, ec)
