"""Character glyphs as a thermal printer's bitmap font would print them.

A receipt printer has no grey and no outline fonts: each character is a fixed bitmap in its
cell (Font A 12 × 24, Font B 9 × 17, Chinese 24 × 24). We make such bitmaps from a TrueType
font (a CJK one, so Chinese prints): the glyph is drawn at the cell's height without
anti-aliasing, centred in the cell, clipped to it. Emphasis (``ESC E``) is the printer's
double strike: the glyph ORed with itself one dot to the right. Width and height multipliers
are applied later by repeating dots, exactly as the printer enlarges its bitmaps.

``find_font`` looks where the agent looks (``protocols.fonts``): the ``KFLEET_CJK_FONT``
variable, then the usual install paths; without one, Pillow's own font draws Latin text and
Chinese characters print as hollow boxes.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from protocols.escpos.layout import FONT_CELL, WIDE_CELL, FontName, is_wide
from protocols.fonts import find_cjk_font

Bitmap = npt.NDArray[np.bool_]
"""A 2-D array of dots, True = black."""


def find_font() -> Path | None:
    """A readable CJK font: ``$KFLEET_CJK_FONT``, then the usual places; None if none."""
    return find_cjk_font()


AnyFont = ImageFont.FreeTypeFont | ImageFont.ImageFont
#: FreeType faces are shared (cached) and not safe to draw with from two threads at once;
#: simulators draw receipts in worker threads, so glyphs are made one at a time
_FREETYPE = threading.Lock()


@functools.lru_cache(maxsize=32)
def _face(path: str | None, size: int) -> AnyFont:
    """The font at ``size`` px: a monospaced face of a collection when it has one (WenQuanYi
    Micro Hei Mono), so Latin letters are evenly spaced as on a printer."""
    if path is None:
        return ImageFont.load_default(size)
    best: AnyFont | None = None
    for index in range(4):
        try:
            face = ImageFont.truetype(path, size, index=index)
        except OSError:
            break
        best = best or face
        if "mono" in (face.getname()[0] or "").lower():
            return face
    if best is None:
        raise ValueError(f"cannot read font {path}: not a TrueType/OpenType font file")
    return best


class Glyphs:
    """Cached glyph bitmaps for one font file, shared between threads: each glyph is made
    under one lock, then only read."""

    def __init__(self, font: Path | None) -> None:
        self._path = str(font) if font is not None else None
        self._cache: dict[tuple[str, FontName, bool], Bitmap] = {}

    def glyph(self, ch: str, font: FontName = "A", bold: bool = False) -> Bitmap:
        """The bitmap of ``ch`` in its base cell (no multipliers, no spacing)."""
        key = (ch, font, bold)
        found = self._cache.get(key)
        if found is None:
            with _FREETYPE:
                found = self._make(ch, font, bold)
            found.setflags(write=False)
            self._cache[key] = found
        return found

    def _make(self, ch: str, font: FontName, bold: bool) -> Bitmap:
        wide = is_wide(ch)
        w, h = WIDE_CELL if wide else FONT_CELL[font]
        if not ch.strip() or not ch.isprintable():
            return np.zeros((h, w), dtype=bool)
        bits = self._draw(ch, w, h, wide)
        if bold:
            bits = bits.copy()
            bits[:, 1:] |= bits[:, :-1]
        return bits

    def _draw(self, ch: str, w: int, h: int, wide: bool) -> Bitmap:
        # a Chinese glyph fills its 24-dot square as a printer's GB 2312 font does; a
        # half-width one keeps a dot or two of air above; both centred on reference glyphs
        size = h if wide else h - max(1, h // 12)
        face = _face(self._path, size)
        if not wide and face.getlength(ch) > w * 1.15:  # a proportional fallback: shrink
            size = max(6, int(size * w / face.getlength(ch)))
            face = _face(self._path, size)
        image = Image.new("1", (w, h), 0)
        draw = ImageDraw.Draw(image)
        draw.fontmode = "1"  # no anti-aliasing: a print head has no grey
        baseline = _baseline(face, h, wide)
        if not _has_glyph(face, ch):
            return _box(w, h, wide)
        draw.text((w / 2, baseline), ch, fill=1, font=face, anchor="ms")
        return np.array(image, dtype=bool)


#: glyphs whose extent, centred in the cell, puts the baseline for every other glyph
_REFERENCE = {True: "国", False: "Ég"}


def _baseline(face: AnyFont, h: int, wide: bool) -> int:
    """The row of the baseline that centres the reference glyphs' ink in a cell ``h`` tall."""
    try:
        _, top, _, bottom = face.getbbox(_REFERENCE[wide], anchor="ls")
    except (OSError, ValueError):  # a font without the reference glyphs
        return round(h * 0.8)
    return round((h - (bottom - top)) / 2 - top)


def _has_glyph(face: AnyFont, ch: str) -> bool:
    """False when the font would draw its 'missing glyph' box (or nothing) for ``ch``."""
    if not isinstance(face, ImageFont.FreeTypeFont):
        return ord(ch) < 128
    try:
        mask = face.getmask(ch)
    except (OSError, ValueError):
        return False
    notdef = _notdef(face)
    return mask.size != notdef[0] or bytes(mask) != notdef[1]


@functools.lru_cache(maxsize=32)
def _notdef(face: ImageFont.FreeTypeFont) -> tuple[tuple[int, int], bytes]:
    """The font's 'missing glyph' drawing (size, dots), to recognise it."""
    mask = face.getmask("\U0010fffd")
    return mask.size, bytes(mask)


def _box(w: int, h: int, wide: bool) -> Bitmap:
    """A hollow box: what a printer without the character's bitmap prints instead."""
    bits = np.zeros((h, w), dtype=bool)
    left, right = 2, w - 3
    top, bottom = (2, h - 3) if wide else (h // 5, h - h // 6)
    bits[top, left : right + 1] = bits[bottom, left : right + 1] = True
    bits[top : bottom + 1, left] = bits[top : bottom + 1, right] = True
    return bits
