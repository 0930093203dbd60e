"""A QR code's module matrix exactly as segno makes it, for half the CPU.

Segno chooses the data mask the ISO way: it applies each of the eight masks and scores the
result (ISO/IEC 18004:2015 §7.8.3), in pure Python, which is most of the CPU an agent spends
on a receipt's proof (issue 17: about 2 ms of a 9 ms job). Here the symbol is made once with
mask 0, its data modules are unmasked, and the eight candidates are scored with NumPy by the
same rules, with segno's own reading of them (the reserved format areas count as light, a
1:1:3:1:1 pattern is searched the way segno searches it). The data modules then take the
winning mask and its format information (segno's ``add_format_info``), so the matrix is
segno's, bit for bit (``tests/unit/test_paper_qr.py`` compares them on many payloads).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import numpy.typing as npt
import segno
from segno import consts as _consts
from segno import encoder as _encoder

#: segno's encoder steps (module-level functions, untyped): the same code that made the
#: symbol lays out and masks it here (segno is pinned in constraints.txt)
segno_encoder: Any = _encoder
segno_consts: Any = _consts

Modules = npt.NDArray[np.uint8]

_N3_PATTERN = bytes((1, 0, 1, 1, 1, 0, 1))


@functools.lru_cache(maxsize=48)
def _layout(size: int) -> tuple[Modules, npt.NDArray[np.bool_], npt.NDArray[np.uint8]]:
    """For a symbol ``size`` modules wide: the function modules as segno scores them (0/1,
    reserved areas 0), where the data modules are, and the eight masks over the data."""
    matrix = segno_encoder.make_matrix(size, size)
    segno_encoder.add_finder_patterns(matrix, size, size)
    segno_encoder.add_alignment_patterns(matrix, size, size)
    fixed = np.array([list(row) for row in matrix], dtype=np.uint8)
    data = fixed > 1
    data[-8, 8] = False  # the dark module
    rows, cols = np.indices((size, size))
    masks = np.stack(
        [np.asarray(fn(rows, cols), dtype=np.bool_) & data for fn in _mask_functions()]
    ).astype(np.uint8)
    return np.where(data, 0, fixed).astype(np.uint8), data, masks


def _mask_functions() -> tuple[Any, ...]:
    return tuple(segno_encoder.get_data_mask_functions(False))


def qr_modules(payload: bytes, error: str) -> npt.NDArray[np.bool_]:
    """The symbol's modules (True = dark), no quiet zone: ``segno.make_qr(payload,
    error=error, boost_error=False).matrix``, mask chosen in NumPy."""
    plain = segno.make_qr(payload, error=error, boost_error=False, mask=0)
    modules = np.array([list(row) for row in plain.matrix], dtype=np.uint8)
    size = modules.shape[0]
    if size < 21:  # a Micro QR symbol (never made here): segno scores those differently
        return modules.astype(bool)
    fixed, data, masks = _layout(size)
    unmasked = np.where(data, modules ^ masks[0], fixed)
    scores = [_penalty(unmasked ^ mask) for mask in masks]
    best = scores.index(min(scores))
    if best == 0:
        return modules.astype(bool)
    final = np.where(data, unmasked ^ masks[best], modules)
    rows = tuple(bytearray(row.tobytes()) for row in final)
    level = segno_consts.ERROR_MAPPING[plain.error]
    segno_encoder.add_format_info(rows, plain.version, level, best)  # segno's own bits
    return np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(size, size).astype(bool)


def _penalty(m: Modules) -> int:
    """Segno's ``evaluate_mask``: N1 + N2 + N3 + N4 of a square matrix of 0/1."""
    size = m.shape[0]
    n1 = _runs_score(m) + _runs_score(m.T)
    same = m[:-1, :-1]
    blocks = (same == m[:-1, 1:]) & (same == m[1:, :-1]) & (same == m[1:, 1:])
    n2 = 3 * int(np.count_nonzero(blocks))
    n3 = _n3_all(m)
    dark = int(np.count_nonzero(m))
    percent = float(dark) / (size**2)
    n4 = 10 * int(abs(percent * 100 - 50) / 5)
    return n1 + n2 + n3 + n4


def _runs_score(m: Modules) -> int:
    """N1 along rows: each run of five or more same-colour modules scores its length - 2."""
    size = m.shape[0]
    edges = np.ones((size, size + 1), dtype=bool)
    edges[:, 1:size] = m[:, 1:] != m[:, :-1]
    runs = np.diff(np.flatnonzero(edges))  # the joins between rows make runs of 1: no score
    long = runs[runs >= 5]
    return int(long.sum() - 2 * long.size)


def _n3_all(m: Modules) -> int:
    rows = m.tobytes()
    cols = np.ascontiguousarray(m.T).tobytes()
    size = m.shape[0]
    return sum(
        _n3(lines[i : i + size], size)
        for lines in (rows, cols)
        for i in range(0, size * size, size)
    )


def _n3(seq: bytes, size: int) -> int:
    """Segno's N3 for one row or column: 40 for each 1:1:3:1:1 pattern with four light
    modules (or the symbol's edge) on one side, searched as segno searches."""
    count = 0
    idx = seq.find(_N3_PATTERN)
    while idx != -1:
        offset = idx + 7
        if (
            idx in (0, size - 7)
            or not any(seq[max(idx - 4, 0) : min(idx, size)])
            or not any(seq[max(offset, 0) : min(offset + 4, size)])
        ):
            count += 40
        else:
            offset = idx + 4
        idx = seq.find(_N3_PATTERN, offset)
    return count
