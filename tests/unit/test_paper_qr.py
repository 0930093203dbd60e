"""``paper_qr.qr_modules`` picks segno's mask without segno's slow scoring: the matrix must be
segno's, bit for bit, or a receipt's proof would draw a QR code the printer did not print."""

from __future__ import annotations

import random

import numpy as np
import pytest
import segno

from protocols.escpos.paper_qr import _penalties, qr_modules, segno_encoder

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


@pytest.mark.parametrize("seed", range(4))
def test_the_penalties_are_segnos_on_any_matrix(seed: int) -> None:
    """Random matrices have every case the symbols rarely show: long runs, 2x2 blocks, 1:1:3:1:1
    patterns at the edges and overlapping ones (segno's search skips those after a hit)."""
    rng = np.random.default_rng(seed)
    for size in (21, 25, 29, 45):
        dark = rng.choice((0.2, 0.5, 0.7))
        candidates = (rng.random((8, size, size)) < dark).astype(np.uint8)
        stripes = np.tile(np.array([1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1], np.uint8), 4)[:size]
        candidates[1, ::3] = stripes  # overlapping patterns in rows, at the left edge
        candidates[2, :, ::4] = stripes[:, np.newaxis]  # and in columns
        expected = [
            segno_encoder.evaluate_mask([bytearray(row) for row in m.tolist()], size, size)
            for m in candidates
        ]
        assert _penalties(candidates) == expected, (seed, size)
