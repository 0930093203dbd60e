"""A machine-readable timestamp strip drawn into each synthetic video frame, and its reader.

Glass-to-glass latency is "when the viewer decoded the frame" minus "when the camera drew
it"; a burned-in text clock needs OCR, so every frame also carries a strip of black/white
blocks: 48 bits of milliseconds since the epoch and a 16-bit CRC of them (CRC-CCITT, from
:func:`binascii.crc_hqx`), most significant bit first, 64 blocks in one row. The blocks are
square, ``width // 80`` pixels a side (at least 4: 8 px at 640 × 480), one block in from the
top-left corner, so they survive VP8 at ordinary bitrates and scaling to the frame width
the reader sees. The reader samples the inner half of each block and checks the CRC: a
frame whose strip was damaged reads as ``None``, never as a wrong time.
"""

from __future__ import annotations

import binascii

import numpy as np
import numpy.typing as npt

__all__ = ["STAMP_BITS", "block_size", "draw_stamp", "read_stamp"]

#: bits of milliseconds since the epoch (enough until the year 10889)
TIME_BITS = 48
CHECK_BITS = 16
STAMP_BITS = TIME_BITS + CHECK_BITS
_MIN_BLOCK = 4


def block_size(width: int) -> int:
    """The side of one block in a frame ``width`` pixels wide."""
    return max(_MIN_BLOCK, width // 80)


def _bits(ms: int) -> list[int]:
    if not 0 <= ms < 1 << TIME_BITS:
        raise ValueError("the stamp holds 0 ≤ ms < 2**48")
    payload = ms.to_bytes(TIME_BITS // 8, "big")
    word = (ms << CHECK_BITS) | binascii.crc_hqx(payload, 0xFFFF)
    return [(word >> (STAMP_BITS - 1 - i)) & 1 for i in range(STAMP_BITS)]


def draw_stamp(img: npt.NDArray[np.uint8], ms: int) -> None:
    """Draw ``ms`` (milliseconds since the epoch) into ``img`` (H × W × 3 or H × W) in place.

    Raises ``ValueError`` when the frame is too narrow for the strip."""
    height, width = img.shape[:2]
    side = block_size(width)
    if side * (STAMP_BITS + 2) > width or side * 3 > height:
        raise ValueError(f"a {width}x{height} frame is too small for the timestamp strip")
    y0, y1 = side, 2 * side
    for i, bit in enumerate(_bits(ms)):
        x0 = side * (i + 1)
        img[y0:y1, x0 : x0 + side] = 255 if bit else 0


def read_stamp(img: npt.NDArray[np.uint8]) -> int | None:
    """The milliseconds drawn by :func:`draw_stamp`, or ``None`` if the strip is unreadable.

    ``img`` is BGR (H × W × 3) or grey/luma (H × W), e.g. a decoded frame's ``to_ndarray``."""
    grey = img.mean(axis=2) if img.ndim == 3 else img.astype(np.float64)
    height, width = grey.shape[:2]
    side = block_size(width)
    if side * (STAMP_BITS + 2) > width or side * 3 > height:
        return None
    q = max(1, side // 4)
    row = grey[side + q : 2 * side - q]
    word = 0
    for i in range(STAMP_BITS):
        x0 = side * (i + 1)
        level = float(row[:, x0 + q : x0 + side - q].mean())
        word = (word << 1) | int(level >= 128)
    ms, check = word >> CHECK_BITS, word & ((1 << CHECK_BITS) - 1)
    if binascii.crc_hqx(ms.to_bytes(TIME_BITS // 8, "big"), 0xFFFF) != check:
        return None
    return ms
