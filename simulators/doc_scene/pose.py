"""Where the page lies: its corners as a pinhole camera sees a turned, tilted sheet."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from simulators.doc_scene.pixels import Corners


def side_lengths(quad: Corners) -> list[float]:
    return [float(np.linalg.norm(quad[i] - quad[(i + 1) % 4])) for i in range(4)]


def _rot(axis: int, angle: float) -> npt.NDArray[np.float64]:
    c, s = math.cos(angle), math.sin(angle)
    i, j = [(1, 2), (0, 2), (0, 1)][axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


#: (turn °, tilt ° about each axis, focal in frame widths, longer side in frame heights, margin)
POSES: dict[str, tuple[float, float, tuple[float, float], tuple[float, float], float]] = {
    "normal": (40, 25, (0.7, 1.1), (0.30, 0.85), 0.015),
    # a wide-angle camera looking at the page from the side: tilt 30-45° about one axis
    "steep": (40, 45, (0.45, 0.75), (0.45, 0.9), 0.01),
    # the page fills the frame, nearly square to it, a few pixels from the frame's border
    "frame_edge": (12, 12, (0.7, 1.1), (0.88, 0.99), 0.002),
    # a small page (a receipt-sized A4 far away, or a zoomed-out camera)
    "small": (40, 25, (0.7, 1.1), (0.15, 0.3), 0.015),
}


def pose(
    rng: np.random.Generator, size: tuple[int, int], aspect: float, mode: str = "normal"
) -> Corners:
    """Corners of a page (``aspect`` = w/h) seen through a pinhole camera.

    The camera is physical: square pixels, principal point at the frame centre, focal
    length 0.7-1.1 frame widths. The page is turned ±40° in its plane, tilted up to 25°
    about each axis, placed at the depth where its longer side spans 30-85 % of the frame
    height, and moved (in 3D, so perspective follows) to where it fits inside the frame.
    Other ``mode`` s of :data:`POSES` change those ranges ("steep": one axis tilted 30-45°
    through a 0.45-0.75 width lens).
    """
    width, height = size
    turn, tilt, focal_range, target_range, margin_h = POSES[mode]
    theta = math.radians(rng.uniform(-turn, turn))
    pitch = math.radians(rng.uniform(-min(tilt, 25), min(tilt, 25)))
    yaw = math.radians(rng.uniform(-min(tilt, 25), min(tilt, 25)))
    if tilt > 25:  # one axis steep
        steep = math.radians(rng.uniform(30, tilt)) * rng.choice([-1, 1])
        pitch, yaw = (steep, yaw * 0.5) if rng.random() < 0.5 else (pitch * 0.5, steep)
    focal = width * rng.uniform(*focal_range)
    half = np.array([[-aspect, -1], [aspect, -1], [aspect, 1], [-aspect, 1]]) / 2
    plane = np.c_[half, np.zeros(4)] @ (_rot(0, pitch) @ _rot(1, yaw) @ _rot(2, theta)).T
    centre = np.array([(width - 1) / 2, (height - 1) / 2])
    target = rng.uniform(*target_range) * height
    margin = margin_h * height

    def project(depth: float, at: npt.NDArray[np.float64]) -> Corners:
        ray = np.array([(at[0] - centre[0]) / focal, (at[1] - centre[1]) / focal, 1.0])
        pts = plane + depth * ray
        return focal * pts[:, :2] / pts[:, 2:3] + centre  # type: ignore[no-any-return]

    depth = focal * max(aspect, 1.0) / target
    for _ in range(3):
        depth *= max(side_lengths(project(depth, centre))) / target
    lo, hi = np.array([margin, margin]), np.array([width - margin, height - margin])
    if mode == "frame_edge":  # as large as fits, then against the border
        for _ in range(200):
            quad = project(depth, centre)
            if (
                np.ptp(quad, axis=0)[0] <= hi[0] - lo[0]
                and np.ptp(quad, axis=0)[1] <= hi[1] - lo[1]
            ):
                return _to_border(rng, quad, lo, hi)
            depth *= 1.02
    for attempt in range(400):
        quad = project(depth, rng.uniform(lo, hi))
        if (quad >= lo).all() and (quad <= hi).all():
            return quad
        if attempt % 20 == 19:  # a 40° turn of a large page may not fit: step back
            depth *= 1.05
    return project(depth, centre)


def _to_border(
    rng: np.random.Generator,
    quad: Corners,
    lo: npt.NDArray[np.float64],
    hi: npt.NDArray[np.float64],
) -> Corners:
    """Slide the page image against one or two frame borders (an off-centre lens axis),
    or centre it on an axis where it is not slid."""
    shift = (lo + hi) / 2 - (quad.min(axis=0) + quad.max(axis=0)) / 2
    for axis in range(2):
        r = rng.random()
        if r < 0.4:
            shift[axis] = lo[axis] - quad[:, axis].min()
        elif r < 0.8:
            shift[axis] = hi[axis] - quad[:, axis].max()
    return np.asarray(quad + shift, np.float64)
