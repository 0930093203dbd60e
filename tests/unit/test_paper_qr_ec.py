"""``paper_qr_ec.final_message_bits`` is segno's ``make_final_message``, bit for bit: its
Reed–Solomon codewords and its interleaving, at every QR version and error level."""

from __future__ import annotations

import random

import numpy as np
import pytest

from protocols.escpos.paper_qr import segno_consts, segno_encoder
from protocols.escpos.paper_qr_ec import final_message_bits


def _segno_bits(version: int, level: int, data: bytes) -> bytes:
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8))
    buffer = segno_encoder.Buffer(bits.tolist())
    return bytes(segno_encoder.make_final_message(version, level, buffer).getbits())


@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_every_version_gets_segnos_codewords_and_order(level: int) -> None:
    rng = random.Random(level)
    for version in range(1, 41):
        capacity = segno_consts.SYMBOL_CAPACITY[version][level]
        for fill in ("random", "zeros"):
            if fill == "random":
                data = bytes(rng.randrange(256) for _ in range(capacity // 8))
            else:
                data = bytes(capacity // 8)
            bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8))
            mine = final_message_bits(version, level, bits)
            assert mine.dtype == np.uint8
            assert mine.tobytes() == _segno_bits(version, level, data), (version, level, fill)
