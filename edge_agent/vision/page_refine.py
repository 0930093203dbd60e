"""Stage 2 of finding a page (:mod:`edge_agent.vision.page_detect`): refine its corners at
full resolution.

For up to 160 points per side, the colour profile across the side (projected onto that
side's inside-minus-outside colour) is differentiated and its peak found to sub-pixel
precision; a robust (Tukey) line fit ignores the points where a hand, a pen or a shadow
edge sits on the side; adjacent lines meet in the corners. The side's colour step is read by
medians and the outermost strong step is taken, so a photo or a table's border printed a few
pixels inside a small page does not pull the side inwards.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from edge_agent.vision.rectify import order_corners

F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]

_OUTER = 0.7  # a step this share of a profile's highest counts as an edge of its own


def refine(img: U8, quad: F64, radius: float) -> tuple[F64, float] | None:
    """Re-fit each side's line at full resolution; None if a side cannot be fitted."""
    quad = order_corners(quad)
    centre = quad.mean(axis=0)
    lines, inliers = [], []
    for k in range(4):
        side = _fit_side(img, quad[k], quad[(k + 1) % 4], centre, radius)
        if side is None:
            return None
        (px, py), (dx, dy), frac = side
        lines.append(np.array([dy, -dx, dx * py - dy * px]))  # homogeneous line
        inliers.append(frac)
    meets = np.array([np.cross(lines[k - 1], lines[k]) for k in range(4)])
    if (np.abs(meets[:, 2]) < 1e-9).any():
        return None
    new = meets[:, :2] / meets[:, 2:]
    if np.abs(new - quad).max() > 4 * radius + 2:
        return None
    return new, float(np.mean(inliers))


def _fit_side(img: U8, a: F64, b: F64, centre: F64, radius: float) -> tuple[F64, F64, float] | None:
    """The edge near side a→b: (point, direction, inlier fraction), or None if it has none.

    Profiles ±``radius`` px across the side are projected onto the side's own colour step
    (whatever separates this paper from this desk), differentiated, and their peaks found
    to sub-pixel precision; 6 % is left out at each end, where the other sides interfere.
    """
    length = float(np.linalg.norm(b - a))
    if length < 8:
        return None
    t = (b - a) / length
    n = np.array([-t[1], t[0]])
    if np.dot(centre - a, n) > 0:
        n = -n  # n points outwards
    m = int(np.clip(length / 6, 24, 160))
    f = np.linspace(0.06, 0.94, m)
    r = int(np.ceil(radius)) + 2
    offs = np.arange(-r, r + 1, dtype=np.float64)
    base = a[None, :] + f[:, None] * (b - a)[None, :]
    pts = base[:, None, :] + offs[None, :, None] * n[None, None, :]
    strip = cv2.remap(
        img,
        pts[..., 0].astype(np.float32),
        pts[..., 1].astype(np.float32),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    ).astype(np.float64)  # (m, 2r+1, 3)
    # the side's own step (paper minus desk), by medians: a printed photo, a table border or
    # a certificate band just inside a small page can fill a good part of the inner strip,
    # and its mean then points the other way (the page edge then reads as a falling step)
    inner, outer = strip[:, : r - 1].reshape(-1, 3), strip[:, r + 2 :].reshape(-1, 3)
    contrast = np.median(inner, axis=0) - np.median(outer, axis=0)
    norm = float(np.linalg.norm(contrast))
    if norm < 2.0:
        return None
    prof = strip @ (contrast / norm)  # high inside, low outside
    grad = np.zeros_like(prof)
    grad[:, 2:-2] = (prof[:, :-4] + prof[:, 1:-3] - prof[:, 3:-1] - prof[:, 4:]) / 2
    lo, hi = r - int(np.ceil(radius)), r + int(np.ceil(radius))
    win = grad[:, lo : hi + 1]
    k = _outermost_peak(win)
    peak = win[np.arange(m), k]
    kk = np.clip(k, 1, win.shape[1] - 2)
    y0, y1, y2 = (win[np.arange(m), kk + d] for d in (-1, 0, 1))
    den = y0 - 2 * y1 + y2
    sub = np.where(np.abs(den) > 1e-9, 0.5 * (y0 - y2) / np.where(den == 0, 1, den), 0.0)
    off = offs[lo + kk] + np.clip(sub, -1, 1)
    good = peak > max(0.25 * float(np.median(np.maximum(peak, 0))), 1.0)
    if good.sum() < 6:
        return None
    pts2 = base + off[:, None] * n[None, :]
    point, direction, frac = _robust_line(pts2[good], peak[good])
    return point, direction, frac * float(good.mean())


def _outermost_peak(win: F64) -> npt.NDArray[np.intp]:
    """Per profile, the outermost local maximum of the step that is at least ``_OUTER`` of
    the profile's highest: the page is the outermost paper-like edge, and a table border or
    a photo's edge a few pixels inside it can step more than a faint page edge does."""
    top = win.max(axis=1, keepdims=True)
    pad = np.pad(win, ((0, 0), (1, 1)), constant_values=-np.inf)
    strong = (win >= _OUTER * top) | (win >= top)  # the highest itself, even when negative
    local = (win >= pad[:, :-2]) & (win >= pad[:, 2:]) & strong
    last: npt.NDArray[np.intp] = win.shape[1] - 1 - np.argmax(local[:, ::-1], axis=1)
    return last


def _robust_line(pts: F64, weight: F64) -> tuple[F64, F64, float]:
    """Tukey-weighted total-least-squares line: (point, unit direction, inlier fraction)."""
    w = np.maximum(weight, 0)
    point, direction = _tls(pts, w)
    inl = np.ones(len(pts), bool)
    for _ in range(5):
        normal = np.array([-direction[1], direction[0]])
        res = (pts - point) @ normal
        scale = max(1.4826 * float(np.median(np.abs(res - np.median(res)))), 0.5)
        u = res / (4.685 * scale)
        inl = np.abs(u) < 1
        wt = w * np.where(inl, (1 - u**2) ** 2, 0.0)
        if wt.sum() <= 0 or inl.sum() < 4:
            break
        previous = point, direction
        point, direction = _tls(pts, wt)
        if np.abs(point - previous[0]).max() < 1e-6 and abs(direction @ previous[1]) > 1 - 1e-12:
            break  # settled: another round would fit the same line
    return point, direction, float(inl.mean())


def _tls(pts: F64, w: F64) -> tuple[F64, F64]:
    w = w / max(float(w.sum()), 1e-12)
    mean = (pts * w[:, None]).sum(axis=0)
    d = pts - mean
    cov = (d * w[:, None]).T @ d
    _, vecs = np.linalg.eigh(cov)
    return mean, vecs[:, 1]
