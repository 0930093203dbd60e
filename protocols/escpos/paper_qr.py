"""A QR code's module matrix exactly as segno makes it, for a fifth of the CPU.

Segno places the codewords and tries the eight data masks module by module in pure Python,
the ISO way (ISO/IEC 18004:2015 §7.7.3, §7.8.3), which was most of the CPU an agent spent on
a receipt's proof (issue 17). Here segno's own steps make the final message (data and error
correction codewords); the bits go to the data modules in one NumPy assignment, in the order
segno's ``add_codewords`` fills them (found once per symbol size, by running it on the
modules' ranks); the eight candidates are scored in one NumPy pass per rule with segno's
reading of them (the reserved format areas count as light, a 1:1:3:1:1 pattern is searched
the way segno searches it); the winner gets segno's format and version information
(``add_format_info``, ``add_version_info``). So the matrix is segno's, bit for bit
(``tests/unit/test_paper_qr.py`` compares them on many payloads at every error level).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import numpy.typing as npt
from segno import consts as _consts
from segno import encoder as _encoder

from protocols.escpos.paper_qr_ec import final_message_bits

#: segno's encoder steps (module-level functions, untyped): the same code that made the
#: symbol lays out and masks it here (segno is pinned in constraints.txt)
segno_encoder: Any = _encoder
segno_consts: Any = _consts

Modules = npt.NDArray[np.uint8]

_N3_PATTERN = bytes((1, 0, 1, 1, 1, 0, 1))


@functools.lru_cache(maxsize=48)
def _layout(
    size: int,
) -> tuple[Modules, npt.NDArray[np.bool_], Modules, npt.NDArray[np.intp]]:
    """For a symbol ``size`` modules wide: the function modules as segno scores them (0/1,
    reserved areas 0), where the data modules are, the eight masks over the data, and the
    data modules' flat indices in the order segno's ``add_codewords`` fills them."""
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
    ranks = [[0 if cell != 2 else 2 for cell in row] for row in matrix]
    count = int(np.count_nonzero(np.array(ranks) == 2))
    segno_encoder.add_codewords(ranks, list(range(3, count + 3)), 1)  # each cell's rank + 3
    flat = np.array(ranks, dtype=np.intp).ravel()
    order = np.flatnonzero(flat >= 3)[np.argsort(flat[flat >= 3])]
    return np.where(data, 0, fixed).astype(np.uint8), data, masks, order


def _mask_functions() -> tuple[Any, ...]:
    return tuple(segno_encoder.get_data_mask_functions(False))


def qr_modules(payload: bytes, error: str) -> npt.NDArray[np.bool_]:
    """The symbol's modules (True = dark), no quiet zone: ``segno.make_qr(payload,
    error=error, boost_error=False).matrix``, its codewords placed and mask chosen in NumPy."""
    bits, version, level = _codewords(payload, error)
    size = segno_encoder.calc_matrix_size(version)
    fixed, data, masks, order = _layout(size)
    placed = np.zeros(size * size, dtype=np.uint8)
    placed[order[: bits.size]] = bits  # the remainder bits stay light, as in segno
    unmasked = np.where(data, placed.reshape(size, size), fixed)
    scores = _penalties(unmasked[np.newaxis] ^ masks)
    best = scores.index(min(scores))
    rows = tuple(bytearray(row.tobytes()) for row in unmasked ^ masks[best])
    segno_encoder.add_format_info(rows, version, level, best)  # segno's own bits
    segno_encoder.add_version_info(rows, version)
    return np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(size, size).astype(bool)


def _codewords(payload: bytes, error: str) -> tuple[Modules, int, int]:
    """The final message's bits (data and error correction, interleaved), the version and
    the error level: segno's ``encode`` up to its codeword placement, its own steps but the
    last (``make_final_message``, done in NumPy by :mod:`.paper_qr_ec`)."""
    level = segno_encoder.normalize_errorlevel(error)
    segments = segno_encoder.prepare_data(payload, None, None)
    version = segno_encoder.find_version(segments, level, eci=False, micro=False)
    if version < 1:  # pragma: no cover (micro=False): segno never gives a Micro QR here
        raise ValueError("a Micro QR symbol")
    buff = segno_encoder.Buffer()
    ver_range = segno_encoder.version_range(version)
    for segment in segments:
        segno_encoder.write_segment(buff, segment, None, ver_range, False)
    capacity = segno_consts.SYMBOL_CAPACITY[version][level]
    segno_encoder.write_terminator(buff, capacity, None, len(buff))
    segno_encoder.write_padding_bits(buff, version, len(buff))
    segno_encoder.write_pad_codewords(buff, version, capacity, len(buff))
    data_bits = np.frombuffer(bytes(buff.getbits()), dtype=np.uint8)
    return final_message_bits(version, level, data_bits), version, level


def _penalties(candidates: Modules) -> list[int]:
    """Segno's ``evaluate_mask`` (N1 + N2 + N3 + N4) of each of ``candidates`` (masks × size ×
    size, 0/1), all masks at once: one NumPy pass per rule instead of one per mask and line."""
    count, size = candidates.shape[0], candidates.shape[1]
    lines = np.concatenate((candidates, candidates.transpose(0, 2, 1)), axis=1)
    n1 = _runs_scores(lines)
    same = candidates[:, :-1, :-1]
    blocks = (
        (same == candidates[:, :-1, 1:])
        & (same == candidates[:, 1:, :-1])
        & (same == candidates[:, 1:, 1:])
    )
    n2 = 3 * np.count_nonzero(blocks.reshape(count, -1), axis=1)
    dark = np.count_nonzero(candidates.reshape(count, -1), axis=1)
    n3 = _n3_scores(lines)
    scores = []
    for i in range(count):
        percent = float(dark[i]) / (size**2)
        n4 = 10 * int(abs(percent * 100 - 50) / 5)
        scores.append(n1[i] + int(n2[i]) + n3[i] + n4)
    return scores


def _runs_scores(lines: Modules) -> list[int]:
    """N1 of each candidate (its rows and columns as ``lines``): a run of L ≥ 5 same-colour
    modules scores L - 2, which is its L - 4 windows of five alike plus 2 for its start."""
    count, width = lines.shape[0], lines.shape[2]
    head = lines[..., : width - 4]
    alike = np.ones(head.shape, dtype=bool)
    for k in range(1, 5):
        alike &= lines[..., k : width - 4 + k] == head
    starts = alike.copy()
    starts[..., 1:] &= lines[..., : width - 5] != lines[..., 1 : width - 4]
    windows = np.count_nonzero(alike.reshape(count, -1), axis=1)
    runs = np.count_nonzero(starts.reshape(count, -1), axis=1)
    return [int(w) + 2 * int(r) for w, r in zip(windows, runs, strict=True)]


def _n3_scores(lines: Modules) -> list[int]:
    """N3 of each candidate: 40 per 1:1:3:1:1 pattern with four light modules (or the edge)
    before or after it. Segno's search skips the patterns overlapping one it counted (it
    resumes 7 modules on); where a counted pattern overlaps another (rare) the line is
    searched segno's way (:func:`_n3`), elsewhere every qualifying pattern counts."""
    width = lines.shape[2]
    padded = np.zeros((*lines.shape[:2], width + 8), dtype=np.uint8)
    padded[..., 4 : 4 + width] = lines
    starts = width - 6  # pattern positions 0 .. width - 7
    found = np.ones((*lines.shape[:2], starts), dtype=bool)
    for k, bit in enumerate(_N3_PATTERN):
        found &= padded[..., 4 + k : 4 + k + starts] == bit
    ink = np.zeros((*lines.shape[:2], width + 9), dtype=np.int32)
    np.cumsum(padded, axis=2, out=ink[..., 1:])
    light_before = ink[..., 4 : 4 + starts] == ink[..., :starts]  # padded[p : p + 4]
    light_after = ink[..., 15 : 15 + starts] == ink[..., 11 : 11 + starts]  # [p + 11 : p + 15]
    counted = found & (light_before | light_after)
    overlapped = np.zeros_like(counted)
    overlapped[..., : starts - 4] |= found[..., 4:]
    overlapped[..., : starts - 6] |= found[..., 6:]
    tangled = np.any(counted & overlapped, axis=2)
    scores = []
    for i in range(lines.shape[0]):
        score = 40 * int(np.count_nonzero(counted[i][~tangled[i]]))
        for line in np.flatnonzero(tangled[i]):
            score += _n3(lines[i, line].tobytes(), width)
        scores.append(score)
    return scores


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
