"""Is the page's outline in the pixels at all? The weakest true side's step, in grey levels.

A detector cannot find a side that the frame does not show: white paper clipped at 255 next
to a desk clipped at 255, or a step below one grey level, is no edge for any method. So the
benchmark reads, for every frame, the step across each true side (the median over points
along its middle 80 % of the inside-minus-outside difference a few pixels either side, in
the channel where it is largest) and reports the weakest side. A failure on a frame whose
weakest side steps by less than :data:`UNSEEN_STEP` is the generator's doing; the right
answer there is a low confidence (the kiosk asks the citizen to adjust the corners), and
the report counts how often it was.

Measured on the generator's frame, not timed, never seen by the detector.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

UNSEEN_STEP = 1.0  # grey levels: a weakest side below this is not in the pixels
_OFFSET = 4.0  # px at 1080p either side of the true side where inside and outside are read
_SPACING = 2.0  # px at 1080p between points along a side
_IN_FRAME = 0.5  # a side with less than this share of its points in the frame is left out


def weakest_side_step(frame: npt.NDArray[np.uint8], corners: npt.NDArray[np.float64]) -> float:
    """The smallest of the four sides' steps (grey levels) of the page ``corners`` in
    ``frame`` (8-bit BGR); sides mostly outside the frame are left out (NaN if all are)."""
    k = frame.shape[0] / 1080.0
    blur = max(3, round(3 * k) | 1)
    smooth = np.asarray(cv2.blur(frame.astype(np.float32), (blur, blur)), np.float32)
    steps = [_side_step(smooth, corners, i, k) for i in range(4)]
    seen = [s for s in steps if not math.isnan(s)]
    return min(seen) if seen else math.nan


def _side_step(
    smooth: npt.NDArray[np.float32], corners: npt.NDArray[np.float64], i: int, k: float
) -> float:
    p, q = corners[i], corners[(i + 1) % 4]
    length = float(np.linalg.norm(q - p))
    if length < 1:
        return math.nan
    t = np.linspace(0.1, 0.9, max(8, min(600, int(0.8 * length / (_SPACING * k)))))
    points = p + (q - p) * t[:, None]
    normal = np.array([-(q - p)[1], (q - p)[0]]) / length
    if np.dot(corners.mean(axis=0) - (p + q) / 2, normal) < 0:
        normal = -normal  # pointing into the page
    h, w = smooth.shape[:2]
    margin = _OFFSET * k + 2
    inside_frame = (
        (points[:, 0] > margin)
        & (points[:, 0] < w - 1 - margin)
        & (points[:, 1] > margin)
        & (points[:, 1] < h - 1 - margin)
    )
    if inside_frame.mean() < _IN_FRAME:
        return math.nan
    points = points[inside_frame]
    inside = _sample(smooth, points + normal * _OFFSET * k)
    outside = _sample(smooth, points - normal * _OFFSET * k)
    return float(np.abs(np.median(inside - outside, axis=0)).max())


def _sample(img: npt.NDArray[np.float32], xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    """Bilinear samples of ``img`` at the points ``xy``: one row of channels per point."""
    at = xy.astype(np.float32)
    values = cv2.remap(img, at[:, 0:1], at[:, 1:2], cv2.INTER_LINEAR)
    return np.asarray(values, np.float32).reshape(len(xy), -1)
