"""The page itself: an official form with Chinese-looking text, a table and a red seal."""

from __future__ import annotations

import math
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from simulators.doc_scene.pixels import FImage, Image


def _glyph_bank(rng: np.random.Generator, cell: int, n: int = 48) -> list[Image]:
    """Square 'characters' made of the strokes of 汉字: 横, 竖, 撇, 捺, 点, boxes."""
    thick = max(1, round(cell / 11))
    bank = []
    for _ in range(n):
        g = np.full((cell, cell), 255, np.uint8)
        m = max(1, cell // 8)
        for _ in range(int(rng.integers(3, 8))):
            x0, y0 = rng.integers(m, cell - m, 2)
            kind = rng.integers(5)
            if kind == 0:
                x1, y1 = rng.integers(x0, cell - m + 1), y0
            elif kind == 1:
                x1, y1 = x0, rng.integers(y0, cell - m + 1)
            elif kind in (2, 3):
                d = int(rng.integers(cell // 5, cell // 2 + 1))
                x1, y1 = x0 + (d if kind == 3 else -d), y0 + d
            else:
                x1, y1 = x0 + max(1, cell // 10), y0 + max(1, cell // 10)
            cv2.line(g, (int(x0), int(y0)), (int(x1), int(y1)), 0, thick, cv2.LINE_AA)
        if rng.random() < 0.3:
            a, b = sorted(rng.integers(m, cell - m, 2))
            cv2.rectangle(g, (m, int(a)), (cell - m, int(b)), 0, thick, cv2.LINE_AA)
        bank.append(g)
    return bank


def _text_line(
    rng: np.random.Generator, ink: FImage, x: int, y: int, width: int, bank: list[Image]
) -> None:
    cell = bank[0].shape[0]
    step = int(cell * 1.08)
    n = int(width * rng.uniform(0.55, 1.0)) // step
    for i in range(n):
        gx = x + i * step
        if gx + cell > ink.shape[1] or y + cell > ink.shape[0]:
            break
        g = bank[int(rng.integers(len(bank)))].astype(np.float32) / 255
        np.minimum(ink[y : y + cell, gx : gx + cell], g, out=ink[y : y + cell, gx : gx + cell])


def render_page(
    rng: np.random.Generator, w: int, h: int, landscape: bool, paper: npt.NDArray[np.float64]
) -> Image:
    """An official form: title, paragraphs, a bordered table, signature line, red seal."""
    ink = np.ones((h, w), np.float32)  # 1 = paper, 0 = full ink
    margin = int(w * rng.uniform(0.07, 0.11))
    body = max(6, round(h / (70 if landscape else 95)))
    small, big = _glyph_bank(rng, body), _glyph_bank(rng, int(body * 1.8), 16)
    y = int(h * rng.uniform(0.05, 0.08))
    _text_line(rng, ink, w // 2 - int(w * 0.22), y, int(w * 0.44), big)
    y += int(body * 3.5)
    line_h = int(body * rng.uniform(1.5, 1.9))
    for _ in range(int(rng.integers(3, 7))):
        _text_line(rng, ink, margin + 2 * body, y, w - 2 * margin - 2 * body, small)
        y += line_h
    y = _table(rng, ink, y, margin, body, small)
    while y < h * 0.78:
        _text_line(rng, ink, margin, y, w - 2 * margin, small)
        y += line_h
    sig_y = int(h * rng.uniform(0.82, 0.88))
    _text_line(rng, ink, int(w * 0.6), sig_y, int(w * 0.3), small)
    img = paper[None, None] * (0.9 + 0.1 * ink[..., None]) - 200 * (1 - ink[..., None])
    img += rng.standard_normal((h, w, 1), dtype=np.float32) * 1.5  # paper fibre
    img = _seal(rng, img, sig_y, body)
    return cast(Image, np.clip(img, 0, 255).astype(np.uint8))


def _table(
    rng: np.random.Generator, ink: FImage, y: int, margin: int, body: int, small: list[Image]
) -> int:
    """A bordered table below ``y`` if it fits in the upper 80 %; the ``y`` after it."""
    h, w = ink.shape
    rows, cols = int(rng.integers(4, 9)), int(rng.integers(2, 5))
    row_h, tw = int(body * 2.2), w - 2 * margin
    thick = max(1, body // 8)
    if y + rows * row_h >= h * 0.8:
        return y
    y += body
    for r in range(rows + 1):
        cv2.line(ink, (margin, y + r * row_h), (margin + tw, y + r * row_h), 0.0, thick)
    xs = np.sort(rng.uniform(0.15, 0.85, cols - 1)) * tw + margin
    for xv in [margin, *xs.astype(int), margin + tw]:
        cv2.line(ink, (int(xv), y), (int(xv), y + rows * row_h), 0.0, thick)
    for r in range(rows):
        for x0, x1 in zip([margin, *xs.astype(int)], [*xs.astype(int), margin + tw], strict=True):
            _text_line(
                rng, ink, int(x0) + body // 2, y + r * row_h + body // 2, int(x1 - x0) - body, small
            )
    return y + rows * row_h + body * 2


def _seal(rng: np.random.Generator, img: FImage, sig_y: int, body: int) -> FImage:
    """The red round seal with a star, stamped over the signature line."""
    h, w = img.shape[:2]
    centre = (int(w * rng.uniform(0.62, 0.8)), sig_y - int(body * rng.uniform(0, 2)))
    radius = int(w * rng.uniform(0.08, 0.11))
    seal = np.zeros((h, w), np.float32)
    cv2.circle(seal, centre, radius, 1.0, max(2, radius // 14), cv2.LINE_AA)
    star = [
        (
            centre[0] + radius * 0.3 * math.cos(math.pi / 2 + i * 4 * math.pi / 5),
            centre[1] - radius * 0.3 * math.sin(math.pi / 2 + i * 4 * math.pi / 5),
        )
        for i in range(5)
    ]
    cv2.fillPoly(seal, [np.round(np.array(star)).astype(np.int32)], 1.0, cv2.LINE_AA)
    red = np.array([50, 40, 210], np.float32)
    a = (seal * rng.uniform(0.6, 0.9))[..., None]
    return img * (1 - a) + np.minimum(img, red) * a  # type: ignore[no-any-return]
