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
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from edge_agent.vision.page_lines import candidate_lines, chroma, closer_lines, move_lines, u8
from edge_agent.vision.page_pick import outermost, unambiguous, white_margin
from edge_agent.vision.page_pick import rival as rival_score
from edge_agent.vision.page_refine import refine
from edge_agent.vision.page_score import Ranked, rank_quads
from edge_agent.vision.rectify import aspect_ratios, order_corners

__all__ = ["PageQuad", "aspect_ratios", "detect_page", "order_corners"]

log = logging.getLogger(__name__)

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]

_WORK = 640  # long side of the search copy: ~3x fewer pixels than 1080p, pages ≥ 60 px
_MIN_SCORE = 0.05  # below this nothing is a page
_ZOOM_WORK = 400  # long side of the closer look's search copy: 2x the detail at 1080p
_SMALL = 0.06  # picks smaller than this share of the frame are looked at again, closer
_CLOSE_KERNEL = np.ones((13, 13), np.uint8)  # wider than a line of text on the search copy
# a second search when the first saw no quad's sides and its pick is not a white sheet with
# a hidden side (a small page, 30-60 px on the search copy, whose narrow margin or band the
# wide close merges with a speckled desk)
_FINE_KERNEL = np.ones((7, 7), np.uint8)
_UNSEEN_SIDE = 0.5  # the first search's pick has a side this poorly supported: search again
_ZOOM_SLACK = 0.1  # the closer look's pick may see its weakest side this much worse


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
    return u8(cv2.cvtColor(frame, code)) if code is not None else np.ascontiguousarray(frame)


# --- stage 1: find, stage 2: refine ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Found:
    """Stage 1's result on an image: the ranking, the best quad in the image's pixels, the
    search copy's x and y pixels per image pixel, and the candidate lines on that copy."""

    ranked: Ranked
    corners: F64
    scale: F64
    lines: F64


def _detect(img: U8, work_size: int) -> PageQuad | None:
    found = _find(img, work_size)
    if found is None or (_weakest(found.ranked) < _UNSEEN_SIDE and not white_margin(found.ranked)):
        fine = _find(img, work_size, close=_FINE_KERNEL)
        if fine is not None and _weakest(fine.ranked) >= _UNSEEN_SIDE:  # it saw a quad's sides
            found = _better(found, fine)
    if found is None:
        return None
    zoomed = _zoom(img, found)
    conf_cap = 1.0
    if zoomed is not None and _better(found, zoomed, _ZOOM_SLACK) is zoomed:
        # a small pick, looked at again from closer
        conf_cap = _confidence(found.ranked, 1.0)  # what the whole frame said about rivals
        found = zoomed
    elif zoomed is not None:  # the closer look saw its sides worse: keep, but doubt, the pick
        conf_cap = _confidence(zoomed.ranked, 1.0)
    full = found.corners
    search = max(4.0, 2.5 / float(found.scale.min()))
    fit = 0.0  # coarse corners only: say so in the confidence
    for radius in (search, 3.0):
        refined = refine(img, full, radius)
        if refined is None:
            break
        full, fit = refined
    confidence = min(conf_cap, _confidence(found.ranked, fit))
    return PageQuad(order_corners(full), round(confidence, 3))


def _find(
    img: U8,
    work_size: int,
    known: tuple[F64, F64, F64] | None = None,
    close: U8 = _CLOSE_KERNEL,
) -> _Found | None:
    """Stage 1 on ``img``. ``known``: (lines, their copy's scale, ``img``'s offset in that
    frame) when ``img`` is a crop of a frame already searched: its lines are reused."""
    h, w = img.shape[:2]
    small, scale_x, scale_y = _shrink(img, min(1.0, work_size / max(h, w)))
    scale = np.array([scale_x, scale_y])
    smooth = cv2.medianBlur(small, 5)
    smooth = u8(cv2.morphologyEx(smooth, cv2.MORPH_CLOSE, close))  # ink off the paper
    lab = cv2.cvtColor(smooth, cv2.COLOR_BGR2Lab).astype(np.float32)
    chroma_map = chroma(lab)
    if known is None:
        lines = candidate_lines(smooth, lab, chroma_map)
    else:
        lines = closer_lines(lab, chroma_map, move_lines(known[0], known[1], scale, known[2]))
    ranked = rank_quads(lab, chroma_map, lines)
    if ranked is None or ranked.scores[0] < _MIN_SCORE:
        return None
    ranked = outermost(unambiguous(ranked, _SMALL * small.shape[0] * small.shape[1]))
    return _Found(ranked, (ranked.corners[0] + 0.5) / scale - 0.5, scale, lines)


def _zoom(img: U8, found: _Found) -> _Found | None:
    """Stage 1 again on a crop around a small pick (≤ 6 % of the frame), on a 400 px copy
    (about twice the detail at 1080p): on the whole-frame search copy a small page is a few
    dozen pixels, where a photo on it and the page itself are hard to tell apart. The
    whole frame's lines are reused (moved into the crop), only the paper blobs are looked
    at again. None if not small or not found."""
    h, w = img.shape[:2]
    quad = found.corners
    if cv2.contourArea(quad.astype(np.float32)) > _SMALL * h * w:
        return None
    lo, hi = quad.min(axis=0), quad.max(axis=0)
    centre, half = (lo + hi) / 2, 1.2 * float((hi - lo).max())
    x0, y0 = (int(max(0.0, v)) for v in centre - half)
    x1, y1 = int(min(w, centre[0] + half)), int(min(h, centre[1] + half))
    if max(x1 - x0, y1 - y0) * 1.5 > max(h, w) or min(x1 - x0, y1 - y0) < 32:
        return None  # not much closer than the whole frame
    offset = np.array([x0, y0], np.float64)
    crop = np.ascontiguousarray(img[y0:y1, x0:x1])
    closer = _find(crop, _ZOOM_WORK, (found.lines, found.scale, offset))
    if closer is None:
        return None
    return _Found(closer.ranked, closer.corners + offset, closer.scale, closer.lines)


def _shrink(img: U8, scale: float) -> tuple[U8, float, float]:
    """``img`` resized by about ``scale`` (area-averaged) and the exact x and y scales; from
    12 MP an integer step first: half the time of one fractional area resize (and a step
    of exactly 2 first, OpenCV's fastest, when the factor is even)."""
    h, w = img.shape[:2]
    factor = int(1 / scale)
    if factor >= 3:  # crop to a multiple of the factor, so the pixel grid maps exactly
        h, w = h // factor * factor, w // factor * factor
        img = img[:h, :w]
        for step in (2, factor // 2) if factor % 2 == 0 else (factor,):
            size = (img.shape[1] // step, img.shape[0] // step)
            img = u8(cv2.resize(img, size, interpolation=cv2.INTER_AREA)) if step > 1 else img
        scale *= factor
    small = u8(cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
    return small, small.shape[1] / w, small.shape[0] / h


def _better(first: _Found | None, second: _Found | None, slack: float = 0.0) -> _Found | None:
    """``second`` unless ``first``'s pick has its weakest side seen better (by > ``slack``)."""
    if first is None or second is None:
        return second or first
    return first if _weakest(first.ranked) > _weakest(second.ranked) + slack else second


def _weakest(ranked: Ranked) -> float:
    """Support × contrast of the pick's weakest side."""
    return float((ranked.support[0] * ranked.contrast[0]).min())


def _confidence(ranked: Ranked, fit: float) -> float:
    """How sure the pick is, from what separated right from wrong picks on the tuning set:
    its weakest side's support, no rival (a quad overlapping it by < 80 %: nested in it,
    containing it, or elsewhere) scoring nearly as well, and the full-resolution refit
    keeping most of its points; and its margin being mostly paper (a quad whose margin is
    nearly all colour is a photo on a page whose own edges were not seen)."""
    weakest = _weakest(ranked)
    rival = rival_score(ranked) / float(ranked.scores[0])
    value = (
        np.clip((weakest - 0.6) / 0.35, 0, 1)
        * np.clip((1 - rival) / 0.35, 0, 1)
        * np.clip((fit - 0.8) / 0.18, 0, 1)
        * np.clip((float(ranked.margin[0]) - 0.1) / 0.3, 0, 1)
    )
    return float(value)
