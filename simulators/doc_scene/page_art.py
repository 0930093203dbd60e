"""What is printed on a page besides body text: photos, ID-card copies, handwriting, frames.

Each painter draws on ``canvas`` (float32 BGR, colour) and ``ink`` (float32 black-toner
coverage 0..1) of one page; ``body`` is the body text's cell in pixels. The placements are
deliberately close to the page edge (2-6 %) where real pages put them: a photo printed with
a narrow margin, a card copy near the top, a certificate's frame just inside the edge.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from simulators.doc_scene.glyphs import paragraph, text_line
from simulators.doc_scene.photo import photo
from simulators.doc_scene.pixels import FImage, f32

_FRAME_COLOURS = ((40, 40, 190), (40, 140, 200), (140, 80, 30), (60, 120, 40), (30, 30, 30))


def printed_photos(rng: np.random.Generator, canvas: FImage, ink: FImage, body: int) -> None:
    """One to four printed photos, captioned; some 2-6 % from the page edge."""
    h, w = ink.shape
    near = rng.random() < 0.6
    mx = int(w * (rng.uniform(0.02, 0.06) if near else rng.uniform(0.08, 0.14)))
    my = int(h * (rng.uniform(0.02, 0.06) if near else rng.uniform(0.06, 0.1)))
    cols, rows = [(1, 1), (1, 2), (2, 2), (2, 1)][int(rng.integers(4))]
    gap = int(w * rng.uniform(0.02, 0.05))
    area_h = int((h - 2 * my) * (rng.uniform(0.45, 0.7) if rows == 1 else rng.uniform(0.6, 0.85)))
    pw = (w - 2 * mx - (cols - 1) * gap) // cols
    ph = min((area_h - (rows - 1) * gap) // rows, int(pw * rng.uniform(0.6, 1.4)))
    framed = rng.random() < 0.35
    for r in range(rows):
        for c in range(cols):
            x, y = mx + c * (pw + gap), my + r * (ph + gap)
            canvas[y : y + ph, x : x + pw] = photo(rng, pw, ph)
            if framed:
                cv2.rectangle(ink, (x, y), (x + pw - 1, y + ph - 1), 1.0, max(1, body // 6))
    y0, y1 = my + rows * (ph + gap), h - my  # the text below the photos
    if rng.random() < 0.5:  # the photos at the bottom instead: mirror the layout
        canvas[:] = canvas[::-1].copy()
        ink[:] = ink[::-1].copy()
        y0, y1 = my, h - (my + rows * (ph + gap))
    paragraph(rng, ink, mx + body, y0 + body, w - 2 * mx - 2 * body, min(y1, y0 + h // 3), body)


def id_cards(rng: np.random.Generator, canvas: FImage, ink: FImage, body: int) -> None:
    """A photocopy of an ID card's two sides: grey toner cards with a portrait and lines."""
    h, w = ink.shape
    cw = int(w * rng.uniform(0.40, 0.55))
    ch = int(cw * 54 / 85.6)
    x = (w - cw) // 2 + int(rng.uniform(-0.1, 0.1) * w)
    y = int(h * rng.uniform(0.04, 0.15))
    text_line(rng, ink, int(w * 0.1), max(0, y - 2 * body), int(w * 0.5), body, fill=0.6)
    for side in range(2):
        _card(rng, ink, (x, y, cw, ch), body, side)
        y += ch + int(h * rng.uniform(0.04, 0.1))
    if rng.random() < 0.6:  # "copy valid only for ..." written across the cards
        text_line(rng, ink, int(w * 0.15), y, int(w * 0.7), int(body * 1.3))


def _card(
    rng: np.random.Generator, ink: FImage, box: tuple[int, int, int, int], body: int, side: int
) -> None:
    x, y, cw, ch = box
    card = np.zeros((ch, cw), np.float32)
    r = max(2, cw // 25)
    grey = float(rng.uniform(0.12, 0.45))
    cv2.rectangle(card, (r, 0), (cw - 1 - r, ch - 1), grey, -1)
    cv2.rectangle(card, (0, r), (cw - 1, ch - 1 - r), grey, -1)
    for cx, cy in ((r, r), (cw - 1 - r, r), (r, ch - 1 - r), (cw - 1 - r, ch - 1 - r)):
        cv2.circle(card, (cx, cy), r, grey, -1, cv2.LINE_AA)
    card += rng.uniform(0, 0.12, (ch, cw)).astype(np.float32) * (card > 0)
    small = max(6, int(ch / 14))
    if side == 0:  # the front: lines of text and the portrait on the right
        px, pw = int(cw * 0.64), int(cw * 0.3)
        cv2.rectangle(card, (px, int(ch * 0.12)), (px + pw, int(ch * 0.72)), 0.65, -1)
        face = (px + pw // 2, int(ch * 0.38))
        cv2.ellipse(card, face, (pw // 4, int(ch * 0.16)), 0, 0, 360, 0.3, -1, cv2.LINE_AA)
        for i in range(6):
            line = card[int(ch * (0.1 + 0.13 * i)) :, int(cw * 0.06) :]
            text_line(rng, line, 0, 0, int(cw * 0.55), small, fill=rng.uniform(0.4, 1.0))
        text_line(rng, card, int(cw * 0.3), int(ch * 0.85), int(cw * 0.65), small)
    else:  # the back: emblem and title
        cv2.circle(card, (int(cw * 0.16), int(ch * 0.25)), int(ch * 0.15), 0.8, -1, cv2.LINE_AA)
        text_line(rng, card, int(cw * 0.3), int(ch * 0.18), int(cw * 0.6), int(small * 1.8))
        for i in range(2):
            line = card[int(ch * (0.7 + 0.12 * i)) :, int(cw * 0.2) :]
            text_line(rng, line, 0, 0, int(cw * 0.7), small)
    region = ink[y : y + ch, x : x + cw]
    np.maximum(region, np.clip(card[: region.shape[0], : region.shape[1]], 0, 1), out=region)


def handwriting(rng: np.random.Generator, canvas: FImage, ink: FImage, body: int) -> None:
    """A handwritten page: ruled lines maybe, cursive pen lines, scribbles, dark ink blocks."""
    h, w = ink.shape
    pen = np.array([(20, 20, 25), (130, 50, 20), (150, 60, 30)][int(rng.integers(3))], np.float32)
    thick = max(1, round(body / rng.uniform(5, 9)))
    line_h = int(body * rng.uniform(1.8, 2.6))
    mx = int(w * rng.uniform(0.03, 0.1))
    if rng.random() < 0.5:  # lined paper: rules across the whole width
        rule = np.array([200, 170, 140], np.float32) * rng.uniform(0.8, 1.0)
        for yy in range(int(h * 0.08), h - line_h // 2, line_h):
            cv2.line(canvas, (0, yy), (w - 1, yy), rule.tolist(), max(1, thick // 2))
    layer = np.zeros((h, w), np.float32)
    y = int(h * rng.uniform(0.05, 0.12))
    while y < h * rng.uniform(0.7, 0.95):
        _cursive(rng, layer, mx, y + line_h * 0.7, w - mx, body, thick)
        y += line_h
    for _ in range(int(rng.integers(1, 4))):  # blacked-out blocks and filled boxes
        bw, bh = int(w * rng.uniform(0.1, 0.45)), int(body * rng.uniform(1.2, 6))
        bx, by = int(rng.uniform(0, w - bw)), int(rng.uniform(0, h - bh))
        cv2.rectangle(layer, (bx, by), (bx + bw, by + bh), 1.0, -1)
    sx, sy = int(w * rng.uniform(0.45, 0.7)), int(h * rng.uniform(0.82, 0.95))
    for _ in range(3):  # a signature scribble
        _cursive(rng, layer, sx, sy, sx + int(w * 0.25), int(body * 2), thick + 1)
    a = layer[..., None] * np.float32(rng.uniform(0.85, 1.0))
    canvas[:] = canvas * (1 - a) + pen * a


def fill_in(
    rng: np.random.Generator, canvas: FImage, spans: list[tuple[int, int, int]], body: int
) -> None:
    """Handwritten entries in black or blue pen: one cursive line per ``(x0, baseline, x1)``."""
    h, w = canvas.shape[:2]
    pen = np.array([(20, 20, 25), (140, 55, 25)][int(rng.integers(2))], np.float32)
    layer = np.zeros((h, w), np.float32)
    thick = max(1, round(body / rng.uniform(5, 8)))
    for x0, base, x1 in spans:
        _cursive(rng, layer, x0, float(base), x1, body, thick)
    a = layer[..., None] * np.float32(rng.uniform(0.8, 1.0))
    canvas[:] = canvas * (1 - a) + pen * a


def _cursive(
    rng: np.random.Generator, layer: FImage, x0: int, base: float, x1: int, body: int, thick: int
) -> None:
    """A line of joined-up writing: a trochoid (loops) with wandering size and breaks."""
    end = x0 + (x1 - x0) * rng.uniform(0.5, 1.0)
    n = max(8, int((end - x0) / max(1, body) * 6))
    t = np.linspace(0, (end - x0) / max(1, body) * 2 * math.pi, n)
    r = body * 0.35 * (1 + 0.4 * np.sin(t / rng.uniform(2, 5) + rng.uniform(0, 6)))
    xs = x0 + t * body / (2 * math.pi) * 0.9 + r * np.cos(t * rng.uniform(0.9, 1.1)) * 0.7
    ys = base - r * (1 + np.sin(t)) + rng.normal(0, body * 0.05, n)
    pts = np.stack([xs, ys], axis=1)
    breaks = np.flatnonzero(rng.random(n) < 0.06)
    for seg in np.split(pts, breaks):
        if len(seg) >= 2:
            poly = np.round(seg * 4).astype(np.int32)[None]  # 2 fractional bits
            cv2.polylines(layer, [poly[0]], False, 1.0, thick, cv2.LINE_AA, 2)


def certificate_frame(rng: np.random.Generator, canvas: FImage, ink: FImage, body: int) -> None:
    """A certificate: a coloured border frame 2-6 % inside the edge, big title, text, seal."""
    h, w = ink.shape
    side = min(w, h)
    inset = int(side * rng.uniform(0.02, 0.06))
    band = max(3, int(side * rng.uniform(0.015, 0.05)))
    colour = np.array(_FRAME_COLOURS[int(rng.integers(len(_FRAME_COLOURS)))], np.float32)
    ring = np.zeros((h, w), np.float32)
    cv2.rectangle(ring, (inset, inset), (w - 1 - inset, h - 1 - inset), 1.0, -1)
    cv2.rectangle(
        ring, (inset + band, inset + band), (w - 1 - inset - band, h - 1 - inset - band), 0.0, -1
    )
    ys, xs = np.ogrid[0:h, 0:w]
    period = max(3.0, band / rng.uniform(1.5, 4))
    pattern = f32(0.55 + 0.45 * np.sin((xs + ys) * (2 * math.pi / period)))
    strength = ring * pattern * np.float32(rng.uniform(0.6, 1.0))
    thick = max(1, band // 5)
    cv2.rectangle(strength, (inset, inset), (w - 1 - inset, h - 1 - inset), 1.0, thick)
    gap = band + thick * 2
    cv2.rectangle(
        strength,
        (inset + gap, inset + gap),
        (w - 1 - inset - gap, h - 1 - inset - gap),
        1.0,
        max(1, thick // 2),
    )
    a = strength[..., None]
    canvas[:] = canvas * (1 - a) + colour * a
    title = int(body * rng.uniform(2.2, 3.2))
    ty = int(h * rng.uniform(0.15, 0.25))
    text_line(rng, ink, w // 2 - 2 * title, ty, 4 * title + title // 2, title, style=2)
    mx = inset + gap + 3 * body
    y = paragraph(
        rng, ink, mx, ty + 2 * title, w - 2 * mx, int(h * 0.65), int(body * 1.2), spacing=2.0
    )
    text_line(rng, ink, int(w * 0.55), int(h * 0.78), int(w * 0.3), body)
    seal(
        rng,
        canvas,
        (int(w * rng.uniform(0.6, 0.75)), int(h * 0.77)),
        int(side * rng.uniform(0.09, 0.13)),
    )
    del y


def seal(rng: np.random.Generator, canvas: FImage, centre: tuple[int, int], radius: int) -> None:
    """The red round seal with a star, stamped over whatever lies under it."""
    h, w = canvas.shape[:2]
    x0, y0 = max(0, centre[0] - radius - 4), max(0, centre[1] - radius - 4)
    x1, y1 = min(w, centre[0] + radius + 5), min(h, centre[1] + radius + 5)
    if x1 <= x0 or y1 <= y0:
        return
    c = (centre[0] - x0, centre[1] - y0)
    layer = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.circle(layer, c, radius, 1.0, max(2, radius // 14), cv2.LINE_AA)
    star = [
        (
            c[0] + radius * 0.3 * math.cos(math.pi / 2 + i * 4 * math.pi / 5),
            c[1] - radius * 0.3 * math.sin(math.pi / 2 + i * 4 * math.pi / 5),
        )
        for i in range(5)
    ]
    cv2.fillPoly(layer, [np.round(np.array(star)).astype(np.int32)], 1.0, cv2.LINE_AA)
    red = np.array([50, 40, 210], np.float32)
    a = (layer * rng.uniform(0.6, 0.9))[..., None]
    roi = canvas[y0:y1, x0:x1]
    roi[:] = roi * (1 - a) + np.minimum(roi, red) * a
