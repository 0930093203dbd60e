"""Stage 2 of finding a page (:mod:`edge_agent.vision.page_detect`): refine its corners at
full resolution.

For up to 160 points per side, the colour profile across the side (projected onto that
side's inside-minus-outside colour) is differentiated and its peak found to sub-pixel
precision; a robust (Tukey) line fit ignores the points where a hand, a pen or a shadow
edge sits on the side; adjacent lines meet in the corners.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from edge_agent.vision.rectify import order_corners

F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]


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
    contrast = strip[:, : r - 1].mean(axis=(0, 1)) - strip[:, r + 2 :].mean(axis=(0, 1))
    norm = float(np.linalg.norm(contrast))
    if norm < 2.0:
        return None
    prof = strip @ (contrast / norm)  # high inside, low outside
    grad = np.zeros_like(prof)
    grad[:, 2:-2] = (prof[:, :-4] + prof[:, 1:-3] - prof[:, 3:-1] - prof[:, 4:]) / 2
    lo, hi = r - int(np.ceil(radius)), r + int(np.ceil(radius))
    win = grad[:, lo : hi + 1]
    k = np.argmax(win, axis=1)
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
        point, direction = _tls(pts, wt)
    return point, direction, float(inl.mean())


def _tls(pts: F64, w: F64) -> tuple[F64, F64]:
    w = w / max(float(w.sum()), 1e-12)
    mean = (pts * w[:, None]).sum(axis=0)
    d = pts - mean
    cov = (d * w[:, None]).T @ d
    _, vecs = np.linalg.eigh(cov)
    return mean, vecs[:, 1]
