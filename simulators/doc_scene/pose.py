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


def pose(rng: np.random.Generator, size: tuple[int, int], aspect: float) -> Corners:
    """Corners of a page (``aspect`` = w/h) seen through a pinhole camera.

    The camera is physical: square pixels, principal point at the frame centre, focal
    length 0.7-1.1 frame widths. The page is turned ±40° in its plane, tilted up to 25°
    about each axis, placed at the depth where its longer side spans 30-85 % of the frame
    height, and moved (in 3D, so perspective follows) to where it fits inside the frame.
    """
    width, height = size
    theta = math.radians(rng.uniform(-40, 40))
    pitch = math.radians(rng.uniform(-25, 25))
    yaw = math.radians(rng.uniform(-25, 25))
    focal = width * rng.uniform(0.7, 1.1)
    half = np.array([[-aspect, -1], [aspect, -1], [aspect, 1], [-aspect, 1]]) / 2
    plane = np.c_[half, np.zeros(4)] @ (_rot(0, pitch) @ _rot(1, yaw) @ _rot(2, theta)).T
    centre = np.array([(width - 1) / 2, (height - 1) / 2])
    target = rng.uniform(0.30, 0.85) * height
    margin = 0.015 * height

    def project(depth: float, at: npt.NDArray[np.float64]) -> Corners:
        ray = np.array([(at[0] - centre[0]) / focal, (at[1] - centre[1]) / focal, 1.0])
        pts = plane + depth * ray
        return focal * pts[:, :2] / pts[:, 2:3] + centre  # type: ignore[no-any-return]

    depth = focal * max(aspect, 1.0) / target
    for _ in range(3):
        depth *= max(side_lengths(project(depth, centre))) / target
    lo, hi = np.array([margin, margin]), np.array([width - margin, height - margin])
    for attempt in range(400):
        quad = project(depth, rng.uniform(lo, hi))
        if (quad >= lo).all() and (quad <= hi).all():
            return quad
        if attempt % 20 == 19:  # a 40° turn of a large page may not fit: step back
            depth *= 1.05
    return project(depth, centre)
