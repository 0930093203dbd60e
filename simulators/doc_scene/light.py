"""Light, shadows, a hand and the camera's own blur: what makes a real capture hard."""

from __future__ import annotations

import math

import cv2
import numpy as np

from simulators.doc_scene.pixels import Corners, FImage, f32, lowfreq, pt, roi, shifted, soft_blur


def ambient_light(rng: np.random.Generator, size: tuple[int, int]) -> FImage:
    """Mild gain, gradient and vignetting every real capture has."""
    return _smooth(_ambient_small(rng, (size[0] // 8, size[1] // 8)), size)


def _smooth(small: FImage, size: tuple[int, int]) -> FImage:
    """Smooth fields are computed at 1/8 size and interpolated up (fast at 12 MP)."""
    return f32(cv2.resize(small, size, interpolation=cv2.INTER_LINEAR))


def _ambient_small(rng: np.random.Generator, size: tuple[int, int]) -> FImage:
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    r2 = ((xs - width / 2) ** 2 + (ys - height / 2) ** 2) / (width**2 + height**2) * 4
    ang = rng.uniform(0, 2 * math.pi)
    g = (xs * math.cos(ang) + ys * math.sin(ang)) / max(width, height)
    return f32(rng.uniform(0.85, 1.05) * (1 - 0.12 * r2) * (1 + 0.08 * g))


def uneven_light(rng: np.random.Generator, size: tuple[int, int]) -> FImage:
    """A lamp to one side: strong linear falloff plus a hot spot."""
    return _smooth(_uneven_small(rng, (size[0] // 8, size[1] // 8)), size)


def _uneven_small(rng: np.random.Generator, size: tuple[int, int]) -> FImage:
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ang = rng.uniform(0, 2 * math.pi)
    g = (xs - width / 2) * math.cos(ang) + (ys - height / 2) * math.sin(ang)
    g = (g - g.min()) / max(float(np.ptp(g)), 1.0)
    lo = rng.uniform(0.35, 0.55)
    spot_c = rng.uniform((0, 0), (width, height))
    spot = np.exp(-((xs - spot_c[0]) ** 2 + (ys - spot_c[1]) ** 2) / (2 * (0.25 * height) ** 2))
    return f32((lo + (1 - lo) * g) * (1 + rng.uniform(0.05, 0.25) * spot))


def shadow(rng: np.random.Generator, size: tuple[int, int], page: Corners) -> FImage:
    """A soft shadow (a head, an arm, the camera stand) over 20–60 % of the page."""
    width, height = size
    sc = 4
    small = np.zeros((height // sc, width // sc), np.float32)
    centre = page.mean(axis=0) + (page[int(rng.integers(4))] - page.mean(axis=0)) * rng.uniform(
        0.6, 1.2
    )
    span = np.ptp(page, axis=0).max()
    axes = (int(span * rng.uniform(0.35, 0.7) / sc), int(span * rng.uniform(0.2, 0.5) / sc))
    cv2.ellipse(small, pt(centre / sc), axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
    if rng.random() < 0.5:  # an arm: a long band out to the frame edge
        far = centre + rng.normal(0, 1, 2) * max(width, height)
        cv2.line(small, pt(centre / sc), pt(far / sc), 1.0, max(1, axes[1]))
    soft = rng.uniform(4, 25) * height / 1080 / sc
    small = f32(cv2.GaussianBlur(small, (0, 0), soft))
    mask = cv2.resize(small, size, interpolation=cv2.INTER_LINEAR)
    return (1 - rng.uniform(0.3, 0.55) * mask).astype(np.float32)


def hand(rng: np.random.Generator, img: FImage, page: Corners, k: float) -> None:
    """A hand holding the page down: fingers across the middle part of one edge."""
    i = int(rng.integers(4))
    a, b = page[i], page[(i + 1) % 4]
    edge = b - a
    length = float(np.linalg.norm(edge))
    t = edge / length
    inward = np.array([-t[1], t[0]])
    if np.dot(page.mean(axis=0) - a, inward) < 0:
        inward = -inward
    at = a + edge * rng.uniform(0.35, 0.65)
    finger_len = length * rng.uniform(0.12, 0.22)
    spread = min(length * rng.uniform(0.2, 0.35), 260 * k)
    skin = np.array([rng.uniform(110, 170), rng.uniform(145, 190), rng.uniform(190, 235)])
    layer = np.zeros(img.shape[:2], np.float32)
    palm = at - inward * finger_len * 0.6
    cv2.ellipse(
        layer,
        pt(palm),
        (int(spread * 0.55), int(finger_len * 0.8)),
        math.degrees(math.atan2(t[1], t[0])),
        0,
        360,
        1.0,
        -1,
        cv2.LINE_AA,
    )
    far = palm - inward * 3000 * k
    cv2.line(layer, pt(palm), pt(far), 1.0, int(spread * 0.8), cv2.LINE_AA)
    depth = rng.uniform(0.04, 0.1) * length
    for j in range(4):
        base = palm + t * spread * (j / 3 - 0.5) * 0.8
        tip = at + t * spread * (j / 3 - 0.5) * 0.9 + inward * depth * (1 - abs(j - 1.5) / 4)
        cv2.line(layer, pt(base), pt(tip), 1.0, max(6, int(spread / 6)), cv2.LINE_AA)
    box = roi(layer, 30 * k)
    if box is None:
        return
    sub, layer = img[box], layer[box]
    shadow = soft_blur(layer, 6 * k)
    sub *= (1 - 0.3 * shifted(shadow, int(5 * k), int(5 * k)))[..., None]
    shade = 0.85 + 0.15 * lowfreq(rng, (sub.shape[1], sub.shape[0]), 3)
    m = layer[..., None]
    sub[:] = sub * (1 - m) + (skin[None, None] * shade[..., None]) * m
