"""Candidate lines for a page's sides (stage 1 of :mod:`edge_agent.vision.page_detect`).

A faint page edge (white paper on a light desk, or in a shadow) is never the strongest line
in the frame: a printed photo, a table or a plank seam beats it in any single edge map. So
the lines come from several sources, each with its own quota, most page-like first:

1. the outlines of paper-like blobs (lightness minus chroma, thresholded at several levels
   around Otsu's): each blob's convex hull simplified to a quad, and Hough on its outline;
2. faint edges after local contrast normalisation (CLAHE on lightness) next to neutral
   (paper-coloured) pixels;
3. edges next to paper, in lightness and in b* (yellow-blue), thresholded on each channel's
   own noise, each voting for the lines along its own gradient's direction
   (:func:`_oriented_source`): a faint side stepping the same way all along collects its
   whole length in votes, in whichever channel it steps;
4. all strong colour edges.

A closer look at a small page (:func:`closer_lines`) reuses the whole frame's lines and
finds only sources 1 and 2 again, at the finer scale.

Lines are (rho, theta) with rho ≥ 0, on the downscaled search copy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import cv2
import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]

MAX_LINES = 32
NEUTRAL = 14.0  # Lab chroma of paper (white to yellowed) is ~3-8; skin and wood 20-40
_SAME_ANGLE = math.radians(4)
_SOLID = 0.9  # a page's blob fills its hull (a desk's patches do not)
_NEAR = np.ones((5, 5), np.uint8)  # 'next to' a neutral pixel
_CLAHE = cv2.createCLAHE(clipLimit=4.0, tileGridSize=(6, 6))
_ORIENT_BLUR = 1.5  # px: steadies a faint edge's gradient direction against noise
_ORIENT_NOISE = 75  # percentile of the gradient taken as the frame's noise (most is flat)
_ORIENT_SNR = (2.0, 4.0)  # edge thresholds (Canny's low, high) in units of the noise
_ORIENT_FIXED = 16.0  # gradients to 16-bit integers for Canny, 1/16 unit per px precision
_ORIENT_FLOOR = 0.5  # Lab units per px: the noise of a flat, noiseless frame
_ORIENT_BINS = 360  # gradient directions over the full turn (1°)
_ORIENT_SPREAD = 8  # a pixel votes for lines within ±8° of its gradient's direction
_ORIENT_PEAK = np.ones((9, 5), np.uint8)  # one line per ±4° and ±2 px (theta rows, rho columns)
_ORIENT_KEEP = 20  # lines kept, most votes first (two channels compete for them)
_ORIENT_BORDER = 4  # px along the frame's border where no edge votes
_COS, _SIN = (f(np.arange(_ORIENT_BINS) * (2 * np.pi / _ORIENT_BINS)) for f in (np.cos, np.sin))


def u8(a: Any) -> U8:
    """OpenCV's stubs return ``MatLike``; these calls return 8-bit arrays for 8-bit input."""
    return cast(U8, a)


def chroma(lab: F32) -> F32:
    """Distance from grey in the a*b* plane (8-bit Lab): paper is ~3-8, wood and skin 20-40."""
    return cast(F32, cv2.magnitude(lab[..., 1] - 128, lab[..., 2] - 128))


def whiteness(lab: F32, chroma_map: F32) -> U8:
    """Lightness minus chroma: paper is the whitest thing on most desks."""
    return u8(np.clip(lab[..., 0] - 3 * chroma_map, 0, 255).astype(np.uint8))


def candidate_lines(smooth: U8, lab: F32, chroma_map: F32) -> F64:
    """Distinct lines (rho, theta), at most ``MAX_LINES``, taken in turn from each source
    (strongest first within a source), so no source can crowd the others out."""
    lightness = np.clip(lab[..., 0], 0, 255).astype(np.uint8)
    votes = max(14, int(0.05 * min(lightness.shape)))
    neutral = _neutral(chroma_map)
    weak = cv2.Canny(smooth, 8, 20, L2gradient=True)
    sources = [
        *_blob_sources(lab, chroma_map, lightness),
        _hough(u8(cv2.bitwise_and(weak, weak, mask=neutral)), votes),
        _faint_source(lightness, neutral, votes),
        _oriented_source([lab[..., 0], lab[..., 2]], neutral),
        _hough(u8(cv2.Canny(smooth, 20, 50, L2gradient=True)), votes),
    ]
    return _interleave(sources)


def closer_lines(lab: F32, chroma_map: F32, known: F64) -> F64:
    """Candidate lines for a closer look at part of a frame whose lines are ``known``
    (found on the whole frame and moved into this copy, :func:`move_lines`): the paper
    blobs' outlines seen at this finer scale, the known lines, and the faint edges next to
    paper seen at this finer scale. The colour edge maps and their Hough lines are not
    found again: at the finer scale they find the long edges the whole frame found."""
    lightness = np.clip(lab[..., 0], 0, 255).astype(np.uint8)
    votes = max(14, int(0.05 * min(lightness.shape)))
    faint = _faint_source(lightness, _neutral(chroma_map), votes)
    return _interleave([*_blob_sources(lab, chroma_map, lightness), known, faint])


def _neutral(chroma_map: F32) -> U8:
    """Pixels next to a paper-coloured (neutral) one."""
    return u8(cv2.dilate((chroma_map < NEUTRAL).astype(np.uint8), _NEAR))


def _faint_source(lightness: U8, neutral: U8, votes: int) -> F64:
    """Hough lines of faint edges after local contrast normalisation, next to paper."""
    faint = cv2.Canny(u8(_CLAHE.apply(lightness)), 30, 70, L2gradient=True)
    return _hough(u8(cv2.bitwise_and(faint, faint, mask=neutral)), votes)


def move_lines(lines: F64, scale_from: F64, scale_to: F64, offset: F64) -> F64:
    """Lines (rho, theta) on a search copy of a frame (``scale_from``: its x and y pixels
    per frame pixel) moved onto a search copy of the frame's crop at ``offset`` (x, y frame
    pixels) with ``scale_to``. Pixel centres map as (p + 0.5) × scale − 0.5."""
    normal = np.stack([np.cos(lines[:, 1]), np.sin(lines[:, 1])], axis=1)
    along = np.stack([-normal[:, 1], normal[:, 0]], axis=1)
    out = []
    for step in (-64.0, 64.0):  # two points on each line, moved
        point = lines[:, :1] * normal + step * along
        frame = (point + 0.5) / scale_from - 0.5 - offset
        out.append((frame + 0.5) * scale_to - 0.5)
    d = out[1] - out[0]
    moved_normal = np.stack([d[:, 1], -d[:, 0]], axis=1) / np.hypot(d[:, 0], d[:, 1])[:, None]
    rho = np.einsum("ij,ij->i", moved_normal, out[0])
    theta = np.arctan2(moved_normal[:, 1], moved_normal[:, 0])
    flip = rho < 0  # rho ≥ 0, as Hough gives them
    theta = np.where(flip, np.where(theta < 0, theta + np.pi, theta - np.pi), theta)
    return np.stack([np.abs(rho), theta], axis=1).reshape(-1, 2)


def _blob_sources(lab: F32, chroma_map: F32, lightness: U8) -> list[F64]:
    """The hull lines of paper-like blobs, per channel (whiteness, then lightness), and
    the Hough lines of all their outlines."""
    h, w = chroma_map.shape
    hulls: list[F64] = []  # per channel: paper is the whitest thing on most desks
    outline_map = np.zeros((h, w), np.uint8)
    for channel in (whiteness(lab, chroma_map), lightness):
        found = paper_outlines(channel)
        hulls.append(np.concatenate([np.zeros((0, 2)), *(hull for _, hull in found)]))
        for outline, _ in found:
            outline_map |= outline
    return [*hulls, _hough(outline_map, max(14, int(0.05 * min(h, w))))]


def _interleave(sources: list[F64]) -> F64:
    kept: list[tuple[float, float]] = []
    cos_sin: list[tuple[float, float]] = []  # of each kept line's theta
    cursors = [0] * len(sources)
    while len(kept) < MAX_LINES and any(c < len(s) for c, s in zip(cursors, sources, strict=True)):
        for i, found in enumerate(sources):
            while cursors[i] < len(found) and len(kept) < MAX_LINES:
                rho, theta = float(found[cursors[i], 0]), float(found[cursors[i], 1])
                cursors[i] += 1
                rho, theta = (-rho, theta - math.pi) if rho < 0 else (rho, theta)
                if not _near_any(rho, theta, kept, cos_sin):
                    kept.append((rho, theta))
                    cos_sin.append((math.cos(theta), math.sin(theta)))
                    break
    return np.array(kept, np.float64).reshape(-1, 2)


def _near_any(
    rho: float, theta: float, kept: list[tuple[float, float]], cos_sin: list[tuple[float, float]]
) -> bool:
    """Whether (rho, theta) is the same line as a kept one (within 4° and 3 px): plain
    floats, as this runs a thousand times a frame."""
    c, s = math.cos(theta), math.sin(theta)
    for (r2, t2), (c2, s2) in zip(kept, cos_sin, strict=True):
        dt = abs((theta - t2 + math.pi / 2) % math.pi - math.pi / 2)
        if dt < _SAME_ANGLE and abs(rho - r2 * (c * c2 + s * s2)) < 3:
            return True
    return False


def _hough(edges: U8, votes: int) -> F64:
    raw = cv2.HoughLines(edges, 1, np.pi / 180, votes)
    return np.zeros((0, 2)) if raw is None else raw[:, 0, :].astype(np.float64)


def _levels(white: U8) -> list[float]:
    """Thresholds between paper and what surrounds it: Otsu, Otsu within the light class
    (paper vs grey stripes or a light desk), and two just under the paper's own level."""
    first, _ = cv2.threshold(white, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    levels = [float(first)]
    upper = white[white > first]
    if upper.size > 0.01 * white.size:
        second, _ = cv2.threshold(upper.reshape(1, -1), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        levels.append(float(second))
        top = float(np.percentile(upper, 60))
        levels += [top - 8.0, top - 16.0]
    return levels


def paper_outlines(white: U8) -> list[tuple[U8, F64]]:
    """Outlines of the largest blobs at each level (light blobs, and dark blobs that do not
    touch the frame: paper on a desk brighter than itself), each with its hull's 4 lines.

    Holes (a printed photo, a table) are ignored: only a blob's outer contour counts.
    """
    h, w = white.shape
    out = []
    for level in _levels(white):
        for mask in (white > level, white <= level):
            contours, _ = cv2.findContours(
                mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE
            )
            for contour in _largest(contours, h, w) + _compact(contours, h, w):
                outline = np.zeros((h, w), np.uint8)
                cv2.drawContours(outline, [contour], -1, 255, 1)
                out.append((outline, _hull_quad(contour)))
    return out


def _largest(contours: Any, h: int, w: int) -> list[Any]:
    """The two longest outlines that are not the desk (a page touches two borders at most)."""
    kept: list[Any] = []
    for contour in sorted(contours, key=len, reverse=True)[:4]:
        x, y, bw, bh = cv2.boundingRect(contour)
        if (x <= 0) + (y <= 0) + (x + bw >= w) + (y + bh >= h) >= 3:
            continue
        if cv2.contourArea(contour) < 0.004 * h * w or len(kept) == 2:
            break
        kept.append(contour)
    return kept


def _compact(contours: Any, h: int, w: int) -> list[Any]:
    """The most solid blob (area over its hull's) touching no border, when it is not among
    the longest outlines: a small page on a desk whose light and dark patches (a vignette,
    granite, a cloth's bands) make longer, ragged outlines at the same level."""
    best, best_solidity = None, _SOLID
    longest = {id(c) for c in sorted(contours, key=len, reverse=True)[:4]}
    for contour in contours:
        if len(contour) < 40 or id(contour) in longest:
            continue
        area = cv2.contourArea(contour)
        if area < 0.004 * h * w:
            continue
        x, y, bw, bh = cv2.boundingRect(contour)
        if x <= 0 or y <= 0 or x + bw >= w or y + bh >= h:
            continue
        solidity = area / max(cv2.contourArea(cv2.convexHull(contour)), 1.0)
        if solidity > best_solidity:
            best, best_solidity = contour, solidity
    return [] if best is None else [best]


def _hull_quad(contour: Any) -> F64:
    """The 4 lines (rho, theta) of a contour's convex hull simplified to a quad, each refitted
    to the contour points along its middle (the simplified hull cuts corners), or none."""
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    for eps in (0.02, 0.04, 0.07, 0.1):
        quad = cv2.approxPolyDP(hull, eps * perimeter, True).reshape(-1, 2).astype(np.float64)
        if len(quad) == 4:
            return _refit(quad, contour.reshape(-1, 2).astype(np.float64))
        if len(quad) < 4:
            break
    return np.zeros((0, 2))


def _refit(quad: F64, points: F64) -> F64:
    """(rho, theta) of each side a→b of ``quad``, fitted to ``points`` near its middle."""
    out = []
    for a, b in zip(quad, np.roll(quad, -1, axis=0), strict=True):
        d = b - a
        length = float(np.hypot(*d))
        t = (points - a) @ d / max(length**2, 1e-9)
        off = np.abs((points - a) @ np.array([d[1], -d[0]])) / max(length, 1e-9)
        near = points[(t > 0.15) & (t < 0.85) & (off < 4)]
        if len(near) >= 5:
            vx, vy, x0, y0 = cv2.fitLine(near.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01)
            d, a = np.array([vx[0], vy[0]]), np.array([x0[0], y0[0]])
        normal = np.array([d[1], -d[0]]) / max(float(np.hypot(*d)), 1e-9)
        out.append((float(normal @ a), float(np.arctan2(normal[1], normal[0]))))
    return np.array(out, np.float64)


def _oriented_source(channels: Sequence[F32 | U8], neutral: U8) -> F64:
    """Lines along which many edge pixels next to paper step the *same way*, however faintly,
    in any of ``channels`` (lightness, and the yellow-blue axis b*).

    A fixed edge threshold loses a page 3-8 % lighter than its desk wherever the desk's own
    light is brightest, and a Hough line of the faint edges next to paper loses to the text
    rows' edges. Here the edges are thresholded in units of the channel's own noise (a high
    percentile of its gradient, most of a frame being flat: contrast-normalised, not a fixed
    level), thinned, and each casts one vote, whatever its strength, for the lines through
    it whose normal is within ±8° of its gradient's direction, signed (a step up and a step
    down along the same line do not add up). A long straight step one way collects its
    length in votes; texture and noise point every way and scatter theirs.

    White paper and a light desk that differ by a tint more than by lightness (a warm desk,
    a cool sheet, or the two near the sensor's white, where lightness clips first) step
    along b*, not L: each channel votes on its own, and a line keeps its best channel's
    votes (the channels' signs mean different things, so their votes are not added)."""
    h, w = neutral.shape
    diag = math.ceil(math.hypot(w, h))
    acc: F32 | None = None
    for channel in channels:
        votes = _oriented_votes(channel, neutral, diag)
        if votes is not None:
            acc = votes if acc is None else np.maximum(acc, votes)
    if acc is None:
        return np.zeros((0, 2))
    flat = np.flatnonzero(acc >= max(14, 0.05 * min(h, w)))  # enough votes, then local peaks
    ti, ri = np.divmod(flat, 2 * diag + 1)
    peak = acc[ti, ri] >= cv2.dilate(acc, _ORIENT_PEAK)[ti, ri]
    ti, ri = ti[peak], ri[peak]
    order = np.argsort(-acc[ti, ri])[:_ORIENT_KEEP]
    theta_out = ti[order] * (2 * np.pi / _ORIENT_BINS)
    rho_out = (ri[order] - diag).astype(np.float64)
    upper = theta_out >= np.pi  # as HoughLines gives them: theta in [0, pi), rho signed
    theta_out = np.where(upper, theta_out - np.pi, theta_out)
    rho_out = np.where(upper, -rho_out, rho_out)
    return np.stack([rho_out, theta_out], axis=1)


def _oriented_votes(channel: F32 | U8, neutral: U8, diag: int) -> F32 | None:
    """One channel's signed votes (directions × rho) of its thin edges next to paper, each
    edge thresholded at 2 and 4 times the channel's own gradient noise; None if too few."""
    smooth = cv2.GaussianBlur(np.ascontiguousarray(channel, np.float32), (7, 7), _ORIENT_BLUR)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = cv2.magnitude(gx[::3, ::3], gy[::3, ::3])  # a sample is enough for a percentile
    noise = max(float(np.percentile(magnitude, _ORIENT_NOISE)), _ORIENT_FLOOR)
    # thin edges (non-maximum suppression, hysteresis) at thresholds in units of the noise
    dx, dy = (np.clip(g * _ORIENT_FIXED, -32767, 32767).astype(np.int16) for g in (gx, gy))
    low, high = (k * noise * _ORIENT_FIXED for k in _ORIENT_SNR)
    edges = cv2.Canny(dx, dy, low, high, L2gradient=True)
    b = _ORIENT_BORDER  # the filters' own edges at the frame's border are no page's edge
    edges[:b], edges[-b:], edges[:, :b], edges[:, -b:] = 0, 0, 0, 0
    ys, xs = np.nonzero(cv2.bitwise_and(edges, edges, mask=neutral))
    if len(xs) < 16:
        return None
    bins = _ORIENT_BINS
    angle = np.arctan2(gy[ys, xs], gx[ys, xs])  # gradient direction, -pi..pi
    centre = np.round(angle * (bins / (2 * np.pi))).astype(np.intp)
    spread = np.arange(-_ORIENT_SPREAD, _ORIENT_SPREAD + 1)
    theta_i = (centre[:, None] + spread[None, :]) % bins  # (N, S)
    rho = xs[:, None] * _COS[theta_i] + ys[:, None] * _SIN[theta_i]
    rho_i = np.round(rho).astype(np.intp) + diag
    acc = np.bincount((theta_i * (2 * diag + 1) + rho_i).ravel(), minlength=bins * (2 * diag + 1))
    return cast(F32, acc.reshape(bins, 2 * diag + 1).astype(np.float32))
