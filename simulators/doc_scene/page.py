"""The page itself: what is printed or written on it, drawn at about its size in the frame.

Kinds (drawn with equal odds in every condition): an official form (title, paragraphs, a
bordered table, signature line, red seal); a page of printed photos (some 2-6 % from the
page edge); an ID-card photocopy (two card images in grey toner); a full-width table whose
outer border runs 2-6 % inside the page edge; handwriting (cursive pen lines, scribbles, dark
ink blocks); dense Chinese text to 2-4 % margins; a certificate with a printed coloured
border frame. These are the things on real pages whose straight, strong edges compete with
a faint page edge.

Layers: ``canvas`` (float32 BGR, the paper and anything printed in colour) and ``ink``
(float32 coverage 0..1 of black toner), composed at the end.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from simulators.doc_scene.glyphs import paragraph, text_line
from simulators.doc_scene.page_art import (
    certificate_frame,
    fill_in,
    handwriting,
    id_cards,
    printed_photos,
    seal,
)
from simulators.doc_scene.pixels import FImage, Image

KINDS = ("form", "photos", "id_copy", "table", "handwriting", "dense_text", "certificate")

Painter = Callable[[np.random.Generator, FImage, FImage, int], None]


def render_page(
    rng: np.random.Generator,
    w: int,
    h: int,
    landscape: bool,
    paper: npt.NDArray[np.float64],
    kind: str | None = None,
) -> Image:
    """A ``w × h`` page of ``kind`` (drawn from :data:`KINDS` if None) on ``paper`` (BGR)."""
    kind = kind or KINDS[int(rng.integers(len(KINDS)))]
    canvas = np.empty((h, w, 3), np.float32)
    canvas[:] = np.asarray(paper, np.float32)
    ink = np.zeros((h, w), np.float32)
    body = max(6, round(h / (70 if landscape else 95) * rng.uniform(0.8, 1.15)))
    painters: dict[str, Painter] = {
        "form": _form,
        "photos": printed_photos,
        "id_copy": id_cards,
        "table": _full_table,
        "handwriting": handwriting,
        "dense_text": _dense_text,
        "certificate": certificate_frame,
        "blank": _blank,
    }
    painters[kind](rng, canvas, ink, body)
    toner = np.asarray([rng.uniform(20, 45)] * 3, np.float32)
    img = canvas * (1 - ink[..., None]) + toner * ink[..., None]
    fibre = rng.standard_normal((h // 2 + 1, w // 2 + 1), dtype=np.float32)
    img += cv2.resize(fibre, (w, h), interpolation=cv2.INTER_NEAREST)[..., None] * 1.5
    return cast(Image, np.clip(img, 0, 255).astype(np.uint8))


def _blank(rng: np.random.Generator, canvas: FImage, ink: FImage, body: int) -> None:
    """An empty sheet (not in :data:`KINDS`: only when asked for, e.g. a blank-page test)."""


def _form(rng: np.random.Generator, canvas: FImage, ink: FImage, body: int) -> None:
    """Title, paragraphs, a bordered table, more text, signature line and a red seal."""
    h, w = ink.shape
    margin = int(w * rng.uniform(0.07, 0.11))
    y = int(h * rng.uniform(0.05, 0.08))
    title = int(body * 1.8)
    text_line(rng, ink, w // 2 - int(w * 0.22), y, int(w * 0.44), title, style=1)
    y = paragraph(rng, ink, margin, y + int(body * 3.5), w - 2 * margin, y + body * 12, body)
    rows = int(rng.integers(4, 9))
    if y + rows * body * 2.2 < h * 0.8:
        y = grid_table(rng, ink, (margin, y + body, w - margin), rows, body)
    y = paragraph(rng, ink, margin, y + body, w - 2 * margin, int(h * 0.78), body)
    sig_y = int(h * rng.uniform(0.82, 0.88))
    text_line(rng, ink, int(w * 0.6), sig_y, int(w * 0.3), body)
    if rng.random() < 0.5:  # filled in by hand: a few entries and the signature
        spans = [
            (int(w * rng.uniform(0.3, 0.6)), int(h * rng.uniform(0.15, 0.75)), w - margin)
            for _ in range(int(rng.integers(2, 6)))
        ]
        fill_in(rng, canvas, [*spans, (int(w * 0.6), sig_y - body // 2, w - margin)], body)
    seal(rng, canvas, (int(w * rng.uniform(0.62, 0.8)), sig_y), int(w * rng.uniform(0.08, 0.11)))


def grid_table(
    rng: np.random.Generator,
    ink: FImage,
    span: tuple[int, int, int],
    rows: int,
    body: int,
    *,
    outer: int = 0,
) -> int:
    """A ruled table from ``(x0, y, x1)`` with ``rows`` rows of text; the ``y`` below it."""
    x0, y, x1 = span
    cols = int(rng.integers(2, 6))
    row_h = int(body * rng.uniform(1.9, 2.6))
    thick = max(1, body // 8)
    y1 = y + rows * row_h
    for r in range(rows + 1):
        cv2.line(ink, (x0, y + r * row_h), (x1, y + r * row_h), 1.0, thick)
    xs = [x0, *(np.sort(rng.uniform(0.12, 0.88, cols - 1)) * (x1 - x0) + x0).astype(int), x1]
    for xv in xs:
        cv2.line(ink, (int(xv), y), (int(xv), y1), 1.0, thick)
    if outer:
        cv2.rectangle(ink, (x0, y), (x1, y1), 1.0, outer)
    for r in range(rows):
        for a, b in itertools.pairwise(xs):
            if rng.random() < 0.85:
                fill = rng.uniform(0.3, 1.0)
                ty = y + r * row_h + (row_h - body) // 2
                text_line(rng, ink, int(a) + body // 2, ty, int(b - a) - body, body, fill=fill)
    return y1 + body


def _full_table(rng: np.random.Generator, canvas: FImage, ink: FImage, body: int) -> None:
    """A table across the whole page: its heavy outer border 2-6 % inside the page edge."""
    h, w = ink.shape
    inset = int(min(w, h) * rng.uniform(0.02, 0.06))
    y = inset
    if rng.random() < 0.5:  # a title above the table
        y = int(h * rng.uniform(0.04, 0.07))
        text_line(rng, ink, w // 2 - int(w * 0.2), y, int(w * 0.4), int(body * 1.6), style=1)
        y += int(body * 3)
    row_h_guess = body * 2.25
    rows = max(3, int((h - inset - y) / row_h_guess) - int(rng.integers(0, 4)))
    outer = max(2, int(body * rng.uniform(0.2, 0.45)))
    grid_table(rng, ink, (inset, y, w - inset), rows, body, outer=outer)
    if rng.random() < 0.4:  # shaded header row
        ink[y : y + int(body * 2), inset : w - inset] = np.maximum(
            ink[y : y + int(body * 2), inset : w - inset], rng.uniform(0.15, 0.4)
        )


def _dense_text(rng: np.random.Generator, canvas: FImage, ink: FImage, body: int) -> None:
    """Dense Chinese text from margin to margin, 2-4 % of the page width."""
    h, w = ink.shape
    mx = int(w * rng.uniform(0.02, 0.04))
    my = int(h * rng.uniform(0.02, 0.04))
    small = max(6, int(body * rng.uniform(0.75, 0.95)))
    y = my
    if rng.random() < 0.5:
        text_line(rng, ink, w // 2 - int(w * 0.2), y, int(w * 0.4), int(body * 1.6), style=1)
        y += int(body * 2.6)
    paragraph(rng, ink, mx, y, w - 2 * mx, h - my, small, spacing=rng.uniform(1.25, 1.5))
