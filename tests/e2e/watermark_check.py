"""Reading a copy's watermark back from the pixels the printer received.

The mark (edge_agent/jobs/copy_page.py) is "仅供{purpose}使用 · {time} · {terminal}": once in
a white band under the page in dark ink, and repeated across the page, turned 30°, in light
grey. Here the words are drawn again, independently, with the same CJK font, and compared
with the printed pixels by normalised cross-correlation: a different purpose scores far lower
(≈0.3 against ≈0.95 for the band, ≈0.45 against ≈0.8 across the page), an absent mark
finds nothing.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

Grey = npt.NDArray[np.uint8]
#: band text is drawn in grey 40 on white; the diagonal mark is ≈210 on white paper
DARK, LIGHT_INK = 100, 150
#: the diagonal's angle (counter-clockwise) as the hall's copies carry it
ANGLE = 30.0


def decode(jpeg: bytes) -> Grey:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert image is not None, "the printed image does not decode"
    return np.asarray(image, dtype=np.uint8)


def render(text: str, font: Path, size: int) -> Grey:
    """``text`` in black on white at ``size`` px, cropped to its ink."""
    face = ImageFont.truetype(str(font), size)
    left, top, right, bottom = face.getbbox(text)
    image = Image.new("L", (right - left + 4, bottom - top + 4), 255)
    ImageDraw.Draw(image).text((2 - left, 2 - top), text, font=face, fill=0)
    pixels = np.asarray(image, dtype=np.uint8)
    ys, xs = np.nonzero(pixels < 128)
    return pixels[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def band(image: Grey) -> tuple[Grey, int]:
    """The last line of dark ink on the page (the band's text, cropped to its ink) and the
    row where it starts."""
    rows = np.flatnonzero((image < DARK).any(axis=1))
    assert rows.size, "no dark ink on the printed page at all"
    gaps = np.flatnonzero(np.diff(rows) > 1)
    top = int(rows[gaps[-1] + 1]) if gaps.size else int(rows[0])
    line = image[top : rows[-1] + 1]
    cols = np.flatnonzero((line < DARK).any(axis=0))
    return line[:, cols[0] : cols[-1] + 1], top


def similarity(image: Grey, template: Grey, blur: float) -> float:
    """The best normalised cross-correlation of ``template`` in ``image``, both softened a
    little first so a pixel of rounding or JPEG noise does not count as a different glyph."""
    a = cv2.GaussianBlur(image.astype(np.float32), (0, 0), blur)
    b = cv2.GaussianBlur(template.astype(np.float32), (0, 0), blur)
    return float(cv2.matchTemplate(a, b, cv2.TM_CCOEFF_NORMED).max())


def band_score(image: Grey, text: str, font: Path) -> float:
    """How well the band's ink matches ``text`` drawn anew (1.0: pixel for pixel)."""
    line, _ = band(image)
    size = (line.shape[1], line.shape[0])
    drawn = cv2.resize(render(text, font, 64), size, interpolation=cv2.INTER_AREA)
    return similarity(line, np.asarray(drawn, dtype=np.uint8), 1.5)


def diagonal_score(image: Grey, words: str, font: Path) -> float:
    """The best match of ``words`` in the page above the band, turned back by the mark's
    angle, with the document's own dark ink left out (the mark is light grey)."""
    _, top = band(image)
    body = image[: max(1, top - 8)]
    h, w = body.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), -ANGLE, 1.0)
    level = cv2.warpAffine(body, turn, (w, h), borderValue=255)
    level[level < LIGHT_INK] = 255
    drawn = render(words, font, max(14, image.shape[1] // 32))
    return similarity(np.asarray(level, dtype=np.uint8), drawn, 1.0)
