"""A QR symbol's final message (data and Reed–Solomon codewords, interleaved) as segno makes
it, in a few NumPy operations instead of segno's bit-by-bit Python loops (issue 17: a third of
the QR code's CPU in a receipt's proof).

Reed–Solomon is linear: the error codewords of a block are the XOR, over its data codewords
``d[i]``, of ``d[i]`` times the remainder of ``x^(n + k - 1 - i)`` divided by the generator
(GF(256) products, :data:`_MUL`). Those remainders are found once per block shape from segno's
own generator polynomials and field tables, with segno's division; the interleaving orders
once per version and level, as segno's ``zip_longest`` reads the blocks. The bits are segno's
``make_final_message``'s, bit for bit (``tests/unit/test_paper_qr_ec.py`` compares them at
every version and error level).
"""

from __future__ import annotations

import functools
from itertools import zip_longest
from typing import Any

import numpy as np
import numpy.typing as npt
from segno import consts as _consts

#: segno's tables (untyped module constants; segno is pinned in constraints.txt)
segno_consts: Any = _consts

Codewords = npt.NDArray[np.uint8]


@functools.lru_cache(maxsize=1)
def _mul() -> npt.NDArray[np.uint8]:
    """GF(256) products: ``[a, b]`` = a × b in the field segno's tables describe."""
    exp = np.array(segno_consts.GALIOS_EXP, dtype=np.intp)
    log = np.array(segno_consts.GALIOS_LOG, dtype=np.intp)
    a, b = np.indices((256, 256))
    table: npt.NDArray[np.uint8] = exp[(log[a] + log[b]) % 255].astype(np.uint8)
    table[(a == 0) | (b == 0)] = 0
    return table


@functools.lru_cache(maxsize=64)
def _remainders(num_data: int, num_error: int) -> npt.NDArray[np.uint8]:
    """``[i]``: the error codewords a block of ``num_data`` zeros but a 1 at ``i`` gets, by
    segno's division (``make_blocks``): x^(n + k - 1 - i) mod the generator."""
    gen = segno_consts.GEN_POLY[num_error]
    exp = segno_consts.GALIOS_EXP
    log = segno_consts.GALIOS_LOG
    rows = [[exp[g] for g in gen]]  # the last data codeword: 1 · x^n mod g
    for _ in range(num_data - 1):  # each earlier one: the next one's remainder times x
        prev = rows[-1]
        row = [*prev[1:], 0]
        if prev[0]:
            lcoef = log[prev[0]]
            row = [r ^ exp[lcoef + g] for r, g in zip(row, gen, strict=True)]
        rows.append(row)
    return np.array(rows[::-1], dtype=np.uint8).reshape(num_data, num_error)


@functools.lru_cache(maxsize=160)
def _plan(version: int, level: int) -> tuple[list[tuple[int, int, int]], Any, Any, int]:
    """The blocks (start, data codewords, error codewords), where each interleaved data and
    error codeword comes from, and the remainder bits: segno's ``make_final_message`` order."""
    blocks: list[tuple[int, int, int]] = []
    start = 0
    for ec in segno_consts.ECC[version][level]:
        for _ in range(ec.num_blocks):
            blocks.append((start, ec.num_data, ec.num_total - ec.num_data))
            start += ec.num_data
    data = [range(s, s + k) for s, k, _ in blocks]
    ec_starts = np.cumsum([0] + [n for _, _, n in blocks])
    errors = [range(e, e + n) for e, (_, _, n) in zip(ec_starts, blocks, strict=False)]
    data_order = [i for group in zip_longest(*data) for i in group if i is not None]
    error_order = [i for group in zip_longest(*errors) for i in group if i is not None]
    remainder = 0
    if version in (2, 3, 4, 5, 6):
        remainder = 7
    elif version in (14, 15, 16, 17, 18, 19, 20, 28, 29, 30, 31, 32, 33, 34):
        remainder = 3
    elif version in (21, 22, 23, 24, 25, 26, 27):
        remainder = 4
    order = (np.array(data_order, dtype=np.intp), np.array(error_order, dtype=np.intp))
    return blocks, order[0], order[1], remainder


def final_message_bits(version: int, level: int, data_bits: Codewords) -> Codewords:
    """``segno.encoder.make_final_message(version, level, buffer).getbits()`` for a QR (not
    Micro QR) ``version``: ``data_bits`` are the padded data codewords' bits (0/1 bytes)."""
    blocks, data_order, error_order, remainder = _plan(version, level)
    codewords = np.packbits(data_bits)
    mul = _mul()
    errors = [
        np.bitwise_xor.reduce(mul[codewords[s : s + k, np.newaxis], _remainders(k, n)], axis=0)
        for s, k, n in blocks
    ]
    message = np.concatenate((codewords[data_order], np.concatenate(errors)[error_order]))
    bits = np.unpackbits(message)
    if remainder:
        bits = np.concatenate((bits, np.zeros(remainder, dtype=np.uint8)))
    return bits
