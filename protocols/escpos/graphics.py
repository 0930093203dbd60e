"""Bit images as they print: every ESC/POS image format -> rows packed MSB first, 1 = black.

- ``GS v 0 m xL xH yL yH d``: raster, x bytes a row; m 1/49 double width, 2/50 double height,
  3/51 both.
- ``ESC * m nL nH d``: column strips, n columns of 1 byte (8-dot modes m=0/1) or 3 bytes
  (24-dot modes m=32/33), top bit first; single density doubles each column's width, and 8-dot
  modes print each bit 3 dots tall (60 dpi on a 180/203 dpi head), as on Epson TM printers.
- ``GS ( L`` / ``GS 8 L`` fn 112: raster graphics stored for ``fn 50`` to print (bx, by scale).
- ``GS * x y d`` (downloaded bit image, columns) printed by ``GS / m``; ``FS q`` NV bit images
  (columns) printed by ``FS p n m``.
"""

from __future__ import annotations

from dataclasses import dataclass

_DOUBLE = [int("".join(c * 2 for c in f"{b:08b}"), 2) for b in range(256)]


@dataclass(frozen=True, slots=True)
class Bitmap:
    """``height`` rows of ``(width + 7) // 8`` bytes, MSB first, 1 = black."""

    width: int
    height: int
    rows: bytes

    def scaled(self, sx: int, sy: int) -> Bitmap:
        """Each dot printed ``sx`` dots wide and ``sy`` dots tall (1 or 2 each)."""
        if sx == 1 and sy == 1:
            return self
        stride = (self.width + 7) // 8
        width = self.width * sx
        out = bytearray()
        for y in range(self.height):
            row = self.rows[y * stride : (y + 1) * stride]
            if sx == 2:
                wide = b"".join(_DOUBLE[b].to_bytes(2, "big") for b in row)
                row = wide[: (width + 7) // 8]
            out += row * sy
        return Bitmap(width, self.height * sy, bytes(out))


def from_rows(width: int, height: int, data: bytes) -> Bitmap:
    """Raster data (``(width + 7) // 8`` bytes a row), padded with white if short."""
    size = (width + 7) // 8 * height
    return Bitmap(width, height, bytes(data[:size]).ljust(size, b"\x00"))


def from_columns(columns: int, column_bytes: int, data: bytes) -> Bitmap:
    """Column data (``column_bytes`` bytes a column, top bit first) -> rows."""
    height = column_bytes * 8
    stride = (columns + 7) // 8
    rows = bytearray(stride * height)
    for x in range(columns):
        col = data[x * column_bytes : (x + 1) * column_bytes]
        bits = int.from_bytes(col, "big") if col else 0
        if not bits:
            continue
        mask = 0x80 >> (x % 8)
        for y in range(height):
            if bits >> (height - 1 - y) & 1:
                rows[y * stride + x // 8] |= mask
    return Bitmap(columns, height, bytes(rows))


def _mode_scale(m: int) -> tuple[int, int]:
    """m 0..3 (or ASCII "0".."3"): 1 double width, 2 double height, 3 both."""
    m = m - 48 if m >= 48 else m
    return (2 if m & 1 else 1), (2 if m & 2 else 1)


def gs_v0(raw: bytes) -> Bitmap:
    """``GS v 0 m xL xH yL yH d1..dk``."""
    m, x, y = raw[3], raw[4] + 256 * raw[5], raw[6] + 256 * raw[7]
    return from_rows(x * 8, y, raw[8:]).scaled(*_mode_scale(m))


_COLUMN_MODES = {0: (1, 2, 3), 1: (1, 1, 3), 32: (3, 2, 1), 33: (3, 1, 1)}
"""ESC * m -> (bytes a column, horizontal scale, vertical scale)."""


def esc_star(raw: bytes) -> Bitmap | None:
    """``ESC * m nL nH d``; None for an unknown mode."""
    mode = _COLUMN_MODES.get(raw[2])
    if mode is None:
        return None
    size, sx, sy = mode
    bitmap = from_columns(raw[3] + 256 * raw[4], size, raw[5:])
    if sy == 3:  # each bit 3 dots tall: scale 2 then add the third copy of each row
        stride = (bitmap.width + 7) // 8
        rows = b"".join(
            bitmap.rows[y * stride : (y + 1) * stride] * 3 for y in range(bitmap.height)
        )
        bitmap = Bitmap(bitmap.width, bitmap.height * 3, rows)
    return bitmap.scaled(sx, 1)


def graphics_store(params: bytes) -> Bitmap | None:
    """``GS ( L`` / ``GS 8 L`` fn 112 parameters after ``m fn``: ``a bx by c xL xH yL yH d``;
    None unless monochrome (a=48) with scales 1 or 2."""
    if len(params) < 8 or params[0] != 48 or params[1] not in (1, 2) or params[2] not in (1, 2):
        return None
    width, height = params[4] + 256 * params[5], params[6] + 256 * params[7]
    return from_rows(width, height, params[8:]).scaled(params[1], params[2])


def gs_star(raw: bytes) -> Bitmap:
    """``GS * x y d``: x × 8 columns of y bytes."""
    return from_columns(raw[2] * 8, raw[3], raw[4:])


def scaled_by_mode(bitmap: Bitmap, m: int) -> Bitmap:
    """``GS / m`` and ``FS p n m``: 0 normal, 1 double width, 2 double height, 3 quadruple."""
    return bitmap.scaled(*_mode_scale(m))


def fs_q(raw: bytes) -> list[Bitmap]:
    """``FS q n [xL xH yL yH d]...``: n NV images of x × 8 columns of y × 8 dots (columns)."""
    images, pos = [], 3
    for _ in range(raw[2]):
        x, y = raw[pos] + 256 * raw[pos + 1], raw[pos + 2] + 256 * raw[pos + 3]
        size = x * y * 8
        images.append(from_columns(x * 8, y, raw[pos + 4 : pos + 4 + size]))
        pos += 4 + size
    return images


def fs_q_length(buf: bytes | bytearray, pos: int, limit: int) -> int | None:
    """Total length of the ``FS q`` at ``pos``; None = need more bytes; -1 = too long."""
    if len(buf) - pos < 3:
        return None
    at = pos + 3
    for _ in range(buf[pos + 2]):
        if len(buf) - at < 4:
            return None
        at += 4 + (buf[at] + 256 * buf[at + 1]) * (buf[at + 2] + 256 * buf[at + 3]) * 8
        if at - pos > limit:
            return -1
    return at - pos
