"""``paper_qr.qr_modules`` picks segno's mask without segno's slow scoring: the matrix must be
segno's, bit for bit, or a receipt's proof would draw a QR code the printer did not print."""

from __future__ import annotations

import random

import numpy as np
import pytest
import segno

from protocols.escpos.paper_qr import qr_modules

ALPHABETS = (
    "0123456789",  # numeric mode
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 $%*+-./:",  # alphanumeric mode
    "abcdefghijklmnopqrstuvwxyz:/.?=&-_",  # byte mode
    "黄河路街道办事处格尔木市政务服务中心",  # byte mode, UTF-8
)


def payloads(seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    out = [b"https://gov.example.invalid/q/1", b"A001"]
    while len(out) < count:
        alphabet = rng.choice(ALPHABETS)
        length = rng.randint(1, rng.choice((8, 40, 120, 300)))
        out.append("".join(rng.choice(alphabet) for _ in range(length)).encode())
    return out


@pytest.mark.parametrize("error", ["l", "m", "q", "h"])
def test_the_matrix_is_segnos_bit_for_bit(error: str) -> None:
    masks_seen = set()
    for payload in payloads(seed=17, count=60):
        try:
            reference = segno.make_qr(payload, error=error, boost_error=False)
        except segno.DataOverflowError:
            with pytest.raises(segno.DataOverflowError):
                qr_modules(payload, error)
            continue
        expected = np.array([list(row) for row in reference.matrix], dtype=bool)
        mine = qr_modules(payload, error)
        assert mine.dtype == np.bool_
        assert np.array_equal(mine, expected), (payload, reference.version, reference.mask)
        masks_seen.add(reference.mask)
    assert len(masks_seen) >= 6  # the choice itself was exercised, not one mask every time
