"""Find the page (a sheet of paper) in a document-camera frame.

Two stages, because neither alone is both robust and accurate:

1. **Find**, on a copy downscaled to 640 px (median filter, then a close that lifts the ink
   off the paper): Hough lines from three edge sets — the outline of the whitest blob
   (Otsu on lightness minus chroma, twice: paper vs desk, then paper vs grey stripes), the
   faint colour edges next to neutral (paper-coloured) pixels, and all strong colour edges —
   so a loud tablecloth cannot crowd the page's edges out. Every convex quadrilateral made
   of two roughly-opposite pairs of lines is scored by its edges times how page-like it is.
   A side's edge score is the *mean* colour step across it (inside minus outside, 2 px
   either side), read in O(1) from cumulative sums along each line: wood grain and weave
   give steps of random sign that cancel, a page edge gives the same step all along, even
   under a lamp gradient or a shadow (they scale the step; neither flips it). Page-likeness
   (soft factors): the four steps agree in sign, the inside is neutral, the real rectangle
   behind the quad (perspective undone, :func:`aspect_ratios`) is A4-shaped, not tiny.
2. **Refine** at full resolution: for up to 160 points per side, the colour profile across
   the side (projected onto that side's inside-minus-outside colour) is differentiated and
   its peak found to sub-pixel precision; a robust (Tukey) line fit ignores the points where
   a hand, a pen or a shadow edge sits on the side; adjacent lines meet in the corners. Done
   twice, with a narrower search the second time.

A missed page is ``None``; so is anything that is not an image. Nothing here raises.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast

import cv2
import numpy as np
import numpy.typing as npt

from edge_agent.vision.page_refine import refine
from edge_agent.vision.rectify import aspect_ratios, order_corners

__all__ = ["PageQuad", "aspect_ratios", "detect_page", "order_corners"]

log = logging.getLogger(__name__)

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]

_WORK = 640  # long side of the search copy: ~3x fewer pixels than 1080p, pages ≥ 60 px
_MAX_LINES = 32
_STEP = 2.0  # px (search copy) either side of a line where the colour step is read
_MIN_SCORE = 3.0  # page-likeness-weighted mean step (Lab units) below which nothing is a page
_NEUTRAL = 14.0  # Lab chroma of paper (white to yellowed) is ~3-8; skin and wood 20-40
_NEAR = np.ones((5, 5), np.uint8)  # 'next to' a neutral pixel
_CLOSE_KERNEL = np.ones((13, 13), np.uint8)  # wider than a line of text on the search copy


def _u8(a: Any) -> U8:
    """OpenCV's stubs return ``MatLike``; these calls return 8-bit arrays for 8-bit input."""
    return cast(U8, a)


@dataclass(frozen=True, slots=True)
class PageQuad:
    """A detected page: corners TL, TR, BR, BL in full-frame pixels, and how sure we are."""

    corners: F64
    confidence: float


def detect_page(frame: Any, *, work_size: int = _WORK) -> PageQuad | None:
    """The page in a BGR (or grey) ``frame``, or ``None`` when nothing page-like is there."""
    try:
        img = _as_bgr(frame)
        if img is None:
            return None
        return _detect(img, work_size)
    except Exception:  # a bad frame must never take the scan job down with it
        log.exception("page detection failed; treating the frame as having no page")
        return None


def _as_bgr(frame: Any) -> U8 | None:
    """8-bit BGR, or None for anything that is not a usable image (≥ 32 × 32 px)."""
    if not isinstance(frame, np.ndarray) or not np.issubdtype(frame.dtype, np.number):
        return None
    if frame.ndim == 2:
        frame = frame[..., None]
    if frame.ndim != 3 or frame.shape[2] not in (1, 3, 4) or min(frame.shape[:2]) < 32:
        return None
    if frame.dtype != np.uint8:
        frame = np.clip(np.nan_to_num(frame.astype(np.float64)), 0, 255).astype(np.uint8)
    code = {1: cv2.COLOR_GRAY2BGR, 4: cv2.COLOR_BGRA2BGR}.get(frame.shape[2])
    return _u8(cv2.cvtColor(frame, code)) if code is not None else np.ascontiguousarray(frame)


# --- stage 1: find -------------------------------------------------------------------------


def _detect(img: U8, work_size: int) -> PageQuad | None:
    h, w = img.shape[:2]
    scale = min(1.0, work_size / max(h, w))
    small = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    scale_x, scale_y = small.shape[1] / w, small.shape[0] / h
    smooth = cv2.medianBlur(small, 5)
    smooth = _u8(cv2.morphologyEx(smooth, cv2.MORPH_CLOSE, _CLOSE_KERNEL))  # ink off the paper
    lab = cv2.cvtColor(smooth, cv2.COLOR_BGR2Lab).astype(np.float32)
    found = _best_quad(smooth, lab)
    if found is None:
        return None
    quad, score = found
    full = (quad + 0.5) / np.array([scale_x, scale_y]) - 0.5
    search = max(4.0, 2.5 / min(scale_x, scale_y))
    fit = 0.0  # coarse corners only: say so in the confidence
    for radius in (search, 3.0):
        refined = refine(img, full, radius)
        if refined is None:
            break
        full, fit = refined
    confidence = float(np.clip((score - _MIN_SCORE) / 25.0, 0, 1) * 0.5 + 0.5 * fit)
    return PageQuad(order_corners(full), round(confidence, 3))


def _chroma(lab: F32) -> F32:
    """Distance from grey in the a*b* plane (8-bit Lab): paper is ~3-8, wood and skin 20-40."""
    return np.hypot(lab[..., 1] - 128, lab[..., 2] - 128)


def _lines(smooth: U8, lab: F32, chroma: F32) -> F64:
    """Distinct lines (rho, theta), most page-like sources first, at most ``_MAX_LINES``.

    The whitest blobs' outlines come first (their convex hull's quadrilateral, and Hough on
    the outline), then Hough on faint edges next to neutral (paper-coloured) pixels, then on
    all strong edges: a loud tablecloth or a long arm cannot crowd the page's edges out.
    """
    h, w = chroma.shape
    votes = max(18, int(0.08 * min(h, w)))
    kept: list[tuple[float, float]] = []

    def take(found: F64, quota: int) -> None:
        added = 0
        for rho, theta in found:
            if len(kept) >= _MAX_LINES or added >= quota:
                return
            rho, theta = (-rho, theta - np.pi) if rho < 0 else (rho, theta)
            if not any(_same_line(rho, theta, r2, t2) for r2, t2 in kept):
                kept.append((float(rho), float(theta)))
                added += 1

    for outline, hull in _paper_outlines(lab, chroma):
        take(hull, 4)
        take(_hough(outline, votes), 4)
    neutral = (chroma < _NEUTRAL).astype(np.uint8)
    faint = cv2.Canny(smooth, 8, 20, L2gradient=True)  # white paper on a white desk
    take(_hough(_u8(cv2.bitwise_and(faint, faint, mask=cv2.dilate(neutral, _NEAR))), votes), 14)
    take(_hough(_u8(cv2.Canny(smooth, 20, 50, L2gradient=True)), votes), _MAX_LINES)
    return np.array(kept, np.float64).reshape(-1, 2)


def _hough(edges: U8, votes: int) -> F64:
    raw = cv2.HoughLines(edges, 1, np.pi / 180, votes)
    return np.zeros((0, 2)) if raw is None else raw[:, 0, :].astype(np.float64)


def _paper_outlines(lab: F32, chroma: F32) -> list[tuple[U8, F64]]:
    """Outlines of the largest whitest blobs (Otsu on lightness minus chroma), each with the
    four lines of its convex hull simplified to a quadrilateral (none if it is no quad).

    On a loud tablecloth the page's own edges can be outvoted by stripes that cross the whole
    frame; the white blob's outline brings them back, and its hull bridges a hand's notch.
    """
    h, w = lab.shape[:2]
    white = np.clip(lab[..., 0] - 3 * chroma, 0, 255).astype(np.uint8)
    first, _ = cv2.threshold(white, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    upper = white[white > first]
    levels = [first]
    if upper.size > 0.01 * h * w:  # Otsu again within the light class: paper vs grey stripes
        second, _ = cv2.threshold(upper.reshape(1, -1), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        levels.append(second)
    out = []
    for level in levels:
        _, labels, stats, _ = cv2.connectedComponentsWithStats(
            (white > level).astype(np.uint8), connectivity=4
        )
        for i in np.argsort(-stats[1:, cv2.CC_STAT_AREA])[:2] + 1:
            if stats[i, cv2.CC_STAT_AREA] < 0.01 * h * w:
                break
            blob = (labels == i).astype(np.uint8)
            contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            outline = np.zeros((h, w), np.uint8)
            cv2.drawContours(outline, contours, -1, 255, 1)
            out.append((outline, _hull_quad(max(contours, key=len))))
    return out


def _hull_quad(contour: Any) -> F64:
    """The 4 lines (rho, theta) of a contour's convex hull simplified to a quad, or none."""
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    for eps in (0.02, 0.04, 0.07, 0.1):
        quad = cv2.approxPolyDP(hull, eps * perimeter, True).reshape(-1, 2).astype(np.float64)
        if len(quad) == 4:
            d = np.roll(quad, -1, axis=0) - quad
            normal = np.stack([d[:, 1], -d[:, 0]], axis=1) / np.hypot(d[:, 0], d[:, 1])[:, None]
            rho = np.einsum("ij,ij->i", normal, quad)
            return np.stack([rho, np.arctan2(normal[:, 1], normal[:, 0])], axis=1)
        if len(quad) < 4:
            break
    return np.zeros((0, 2))


def _same_line(rho: float, theta: float, r2: float, t2: float) -> bool:
    dt = abs((theta - t2 + np.pi / 2) % np.pi - np.pi / 2)
    return bool(dt < np.radians(4) and abs(rho - r2 * np.cos(theta - t2)) < 6)


def _step_profiles(lab: F32, lines: F64) -> tuple[F64, F64, int]:
    """Cumulative colour steps along each line: (cumsum (L, T+1, 3), valid cumsum, offset)."""
    h, w = lab.shape[:2]
    half = int(np.hypot(h, w)) + 2
    t = np.arange(-half, half + 1, dtype=np.float64)
    cos, sin = np.cos(lines[:, 1])[:, None], np.sin(lines[:, 1])[:, None]
    x = lines[:, 0:1] * cos - t * sin
    y = lines[:, 0:1] * sin + t * cos
    maps_x = np.concatenate([x + _STEP * cos, x - _STEP * cos]).astype(np.float32)
    maps_y = np.concatenate([y + _STEP * sin, y - _STEP * sin]).astype(np.float32)
    vals = cv2.remap(lab, maps_x, maps_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    n = len(lines)
    step = vals[:n].astype(np.float64) - vals[n:]  # + side minus - side, along the normal
    step[..., 1:] *= 1.5  # chroma differences matter (paper on a coloured desk)
    inside = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
    step[~inside] = 0
    zero = np.zeros((n, 1, 3))
    cum = np.concatenate([zero, np.cumsum(step, axis=1)], axis=1)
    valid = np.concatenate([np.zeros((n, 1)), np.cumsum(inside, axis=1)], axis=1)
    return cum, valid, half


def _best_quad(smooth: U8, lab: F32) -> tuple[F64, float] | None:
    chroma = _chroma(lab)
    lines = _lines(smooth, lab, chroma)
    n = len(lines)
    if n < 4:
        return None
    h, w = lab.shape[:2]
    theta = lines[:, 1]
    diff = np.abs((theta[:, None] - theta[None, :] + np.pi / 2) % np.pi - np.pi / 2)
    ii, jj = np.nonzero(np.triu(diff < np.radians(35), 1))
    if len(ii) < 2:
        return None
    a, b = np.triu_indices(len(ii), 1)
    l1, l3, l2, l4 = ii[a], jj[a], ii[b], jj[b]  # sides in order l1, l2, l3, l4
    cross_ok = np.ones(len(a), bool)
    for p in (l1, l3):
        for q in (l2, l4):
            cross_ok &= diff[p, q] > np.radians(30)
    l1, l2, l3, l4 = l1[cross_ok], l2[cross_ok], l3[cross_ok], l4[cross_ok]
    if len(l1) == 0:
        return None
    sides = np.stack([l1, l2, l3, l4], axis=1)  # (Q, 4)
    corners = _intersect(lines[np.roll(sides, 1, axis=1)], lines[sides])  # corner k starts side k
    ok = _plausible(corners, w, h)
    if not ok.any():
        return None
    sides, corners = sides[ok], corners[ok]
    cum, valid, half = _step_profiles(lab, lines)
    edge = _quad_scores(lines, sides, corners, cum, valid, half)
    # priors are ≤ 1, so once the edge score alone cannot beat the best so far, stop
    best, best_score = -1, _MIN_SCORE
    order = np.argsort(-edge)
    for start in range(0, len(order), 256):
        chunk = order[start : start + 256]
        if edge[chunk[0]] < best_score:
            break
        scores = edge[chunk] * _priors(corners[chunk], chroma)
        k = int(np.argmax(scores))
        if scores[k] >= best_score:
            best, best_score = int(chunk[k]), float(scores[k])
    return None if best < 0 else (corners[best], best_score)


def _intersect(la: F64, lb: F64) -> F64:
    """Intersections of (rho, theta) lines, elementwise."""
    ca, sa, cb, sb = np.cos(la[..., 1]), np.sin(la[..., 1]), np.cos(lb[..., 1]), np.sin(lb[..., 1])
    det = ca * sb - sa * cb
    det = np.where(np.abs(det) < 1e-9, 1e-9, det)
    x = (la[..., 0] * sb - lb[..., 0] * sa) / det
    y = (ca * lb[..., 0] - cb * la[..., 0]) / det
    return np.stack([x, y], axis=-1)


def _plausible(corners: F64, w: int, h: int) -> npt.NDArray[np.bool_]:
    """Convex, inside the frame (a little slack), not tiny, no needle-thin sides."""
    e = np.roll(corners, -1, axis=1) - corners
    cross = e[..., 0] * np.roll(e, -1, axis=1)[..., 1] - e[..., 1] * np.roll(e, -1, axis=1)[..., 0]
    convex = (cross > 0).all(axis=1) | (cross < 0).all(axis=1)
    slack = 0.02 * max(w, h)
    inside = (
        (corners[..., 0] > -slack).all(axis=1)
        & (corners[..., 0] < w - 1 + slack).all(axis=1)
        & (corners[..., 1] > -slack).all(axis=1)
        & (corners[..., 1] < h - 1 + slack).all(axis=1)
    )
    length = np.hypot(e[..., 0], e[..., 1])
    big = (_area(corners) > 0.01 * w * h) & (length.min(axis=1) > 0.06 * min(w, h))
    across = np.minimum(length[:, 0] + length[:, 2], length[:, 1] + length[:, 3])
    along = np.maximum(length[:, 0] + length[:, 2], length[:, 1] + length[:, 3])
    return convex & inside & big & (along < 3 * across)  # type: ignore[no-any-return]


def _area(quads: F64) -> F64:
    nxt = np.roll(quads, -1, axis=1)
    cross = quads[..., 0] * nxt[..., 1] - nxt[..., 0] * quads[..., 1]
    return 0.5 * np.abs(cross.sum(axis=1))  # type: ignore[no-any-return]


def _quad_scores(
    lines: F64, sides: npt.NDArray[np.intp], corners: F64, cum: F64, valid: F64, half: int
) -> F64:
    """Geometric mean over the four sides of the mean inside-minus-outside colour step."""
    centre = corners.mean(axis=1)
    out = np.ones(len(sides))
    signed = np.zeros((len(sides), 4))
    for k in range(4):
        ln = lines[sides[:, k]]
        a, b = corners[:, k], corners[:, (k + 1) % 4]
        d = np.stack([-np.sin(ln[:, 1]), np.cos(ln[:, 1])], axis=1)
        n = np.stack([np.cos(ln[:, 1]), np.sin(ln[:, 1])], axis=1)
        ta = np.einsum("ij,ij->i", a, d)
        tb = np.einsum("ij,ij->i", b, d)
        lo = np.clip(np.round(np.minimum(ta, tb)).astype(np.intp) + half, 0, 2 * half)
        hi = np.clip(np.round(np.maximum(ta, tb)).astype(np.intp) + half, 0, 2 * half)
        idx = sides[:, k]
        total = cum[idx, hi] - cum[idx, lo]
        count = np.maximum(valid[idx, hi] - valid[idx, lo], 1.0)
        mean = total / count[:, None]
        inward = np.sign(np.einsum("ij,ij->i", centre - a, n))  # +normal points inside?
        mean *= inward[:, None]
        signed[:, k] = mean[:, 0]
        step = np.linalg.norm(mean, axis=1)
        out *= np.maximum(step, 1e-3)
    # paper is lighter (or, on a white desk, darker) than what lies around it on every side;
    # the squares of a tablecloth and strips between lines of text are not
    agree = np.abs(signed.sum(axis=1)) / np.maximum(np.abs(signed).sum(axis=1), 1e-6)
    return out**0.25 * (0.2 + 0.8 * agree**2)  # type: ignore[no-any-return]


def _priors(corners: F64, chroma: F32) -> F64:
    """How page-like each quad is, apart from its edges: neutral inside, A4-ish, not tiny.

    Soft factors, so an unusual page still wins when nothing else is there; they
    decide between a page and a square of a plaid cloth, a coloured book or a sticky note.
    """
    h, w = chroma.shape[:2]
    g = np.linspace(0.15, 0.85, 7)
    u, v = np.meshgrid(g, g)
    u, v = u.ravel()[None, :, None], v.ravel()[None, :, None]
    c0, c1, c2, c3 = (corners[:, k][:, None, :] for k in range(4))
    pts = (1 - v) * ((1 - u) * c0 + u * c1) + v * ((1 - u) * c3 + u * c2)  # (Q, 49, 2)
    xi = np.clip(np.round(pts[..., 0]).astype(np.intp), 0, w - 1)
    yi = np.clip(np.round(pts[..., 1]).astype(np.intp), 0, h - 1)
    sampled = chroma[yi, xi]
    neutral = np.exp(-((np.maximum(sampled - 10.0, 0) / 12.0) ** 2)).mean(axis=1) ** 2
    ratio = aspect_ratios(corners, np.array([(w - 1) / 2, (h - 1) / 2]), max(w, h))
    shape = 0.3 + 0.7 * np.exp(-((np.log(np.maximum(ratio, 1 / ratio) / np.sqrt(2)) / 0.25) ** 2))
    size = (_area(corners) / (w * h)) ** 0.15
    return neutral * shape * size  # type: ignore[no-any-return]
