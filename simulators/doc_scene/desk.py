"""What lies under the page: desks, wood, cloth and clutter (float32 BGR, 0..255)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from simulators.doc_scene.pixels import Corners, FImage, f32, fill, lowfreq, pt


def plain_desk(rng: np.random.Generator, size: tuple[int, int]) -> FImage:
    palette = [
        (60, 60, 62),
        (35, 35, 38),
        (70, 95, 60),
        (110, 80, 50),
        (120, 140, 150),
        (95, 95, 95),
        (140, 150, 160),
        (40, 60, 90),
    ]
    base = np.array(palette[rng.integers(len(palette))], np.float32) * rng.uniform(0.8, 1.25)
    img = fill(size, base)
    img *= (1 + 0.04 * lowfreq(rng, size, 3))[..., None]
    return img


def light_desk(rng: np.random.Generator, size: tuple[int, int], paper: float) -> FImage:
    """A white/light-grey/beige desk 5-20 % darker than the paper, or 5-10 % brighter.

    Below ~5 % the page edge is within the frame-to-frame variation of a real camera's
    exposure and vignetting; people do not find such pages reliably either.
    """
    headroom = min(0.1, 255 / paper - 1)
    if rng.random() < 0.25 and headroom > 0.05:
        level = paper * (1 + rng.uniform(0.05, headroom))
    else:
        level = paper * (1 - rng.uniform(0.05, 0.2))
    tint = rng.uniform(-8, 4) * np.array([1.0, 0.4, -0.3])
    img = fill(size, level + tint)
    img *= (1 + 0.03 * lowfreq(rng, size, 5))[..., None]
    return img


def wood(rng: np.random.Generator, size: tuple[int, int]) -> FImage:
    """Procedural grain: rings wandering along the grain, fine streaks, plank seams."""
    width, height = size
    tones = [
        ((95, 140, 190), (55, 90, 140)),
        ((50, 80, 120), (28, 45, 75)),
        ((120, 170, 215), (80, 125, 175)),
        ((40, 55, 85), (22, 32, 52)),
        ((150, 185, 210), (110, 145, 180)),
    ]
    light, dark = (np.array(t, np.float32) for t in tones[rng.integers(len(tones))])
    ang = rng.uniform(0, math.pi)
    k = height / 1080
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    u = xs * math.cos(ang) + ys * math.sin(ang)
    v = -xs * math.sin(ang) + ys * math.cos(ang)
    period = rng.uniform(15, 45) * k
    wander = sum(
        rng.uniform(0.3, 1.5)
        * period
        * np.sin(
            2 * np.pi * u / (rng.uniform(800, 3000) * k)
            + rng.uniform(0, 6.3)
            + v / (rng.uniform(300, 900) * k)
        )
        for _ in range(3)
    )
    phase = (v + wander) / period
    phase += 0.15 * np.sin(phase / rng.uniform(3, 8))  # ring spacing varies
    ring = np.abs(np.sin(np.pi * phase)) ** rng.uniform(3, 8)  # thin dark latewood bands
    streak = rng.standard_normal((height // 4 + 1, width // 4 + 1), dtype=np.float32)
    streak = f32(cv2.resize(streak, size, interpolation=cv2.INTER_LINEAR))
    n = max(3, int(height / 25) | 1)
    kernel = np.zeros((n, n), np.float32)
    kernel[n // 2, :] = 1
    rot = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), -math.degrees(ang), 1)
    kernel = f32(cv2.warpAffine(kernel, rot, (n, n)))
    streak = f32(cv2.filter2D(streak, -1, kernel / max(float(kernel.sum()), 1e-3)))
    t = np.clip(0.15 + 0.55 * ring + 0.6 * streak + 0.1 * lowfreq(rng, size, 3), 0, 1)
    img = light[None, None] * (1 - t[..., None]) + dark[None, None] * t[..., None]
    plank = rng.uniform(0.25, 0.6) * height
    v0 = float(v.min())
    for i in range(int(rng.integers(0, 3))):
        off = v0 + (i + rng.uniform(0.2, 0.8)) * plank
        seam = np.abs(v - off) < max(1.0, 1.5 * k)
        img[seam] *= 0.45
    return f32(img)


def cloth(rng: np.random.Generator, size: tuple[int, int]) -> FImage:
    """Woven fabric: fine weave, optional plaid stripes, soft wrinkles."""
    width, height = size
    base = rng.uniform(40, 200, 3).astype(np.float32)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ang = rng.uniform(0, math.pi / 2)
    u = xs * math.cos(ang) + ys * math.sin(ang)
    v = -xs * math.sin(ang) + ys * math.cos(ang)
    pitch = rng.uniform(3, 7) * height / 1080
    weave = np.sin(2 * np.pi * u / pitch) * np.sin(2 * np.pi * v / pitch)
    img = base[None, None] * (1 + 0.12 * weave[..., None])
    if rng.random() < 0.6:  # plaid
        other = rng.uniform(30, 220, 3).astype(np.float32)
        period = rng.uniform(60, 200) * height / 1080
        band = rng.uniform(0.15, 0.4) * period
        stripes = ((u % period) < band) | ((v % period) < band)
        img[stripes] = img[stripes] * 0.5 + other * 0.5
    wrinkle = lowfreq(rng, size, 6)
    img *= (1 + 0.15 * wrinkle)[..., None]
    return f32(img)


def clutter(rng: np.random.Generator, img: FImage, page: Corners, k: float, *, under: bool) -> None:
    """Books, phones, sticky notes, white cards, coins, mugs, pens; a pen may cross the page."""
    height, width = img.shape[:2]
    if not under:  # one pen lying across a page edge
        i = int(rng.integers(4))
        a, b = page[i], page[(i + 1) % 4]
        mid = a + (b - a) * rng.uniform(0.3, 0.7)
        ang = math.atan2(*(b - a)[::-1]) + rng.uniform(0.4, 1.2) * rng.choice([-1, 1])
        d = np.array([math.cos(ang), math.sin(ang)]) * rng.uniform(60, 120) * k
        color = [(30, 30, 30), (150, 60, 20), (20, 20, 160)][int(rng.integers(3))]
        cv2.line(img, pt(mid - d), pt(mid + d), color, max(2, int(9 * k)), cv2.LINE_AA)
        return
    for _ in range(int(rng.integers(5, 13))):
        kind = rng.choice(["book", "phone", "note", "card", "coin", "mug", "pen"])
        c = rng.uniform((0, 0), (width, height))
        ang = rng.uniform(0, 180)
        if kind == "coin":
            cv2.circle(img, pt(c), int(rng.uniform(10, 16) * k), (120, 170, 190), -1, cv2.LINE_AA)
            continue
        if kind == "mug":
            r = int(rng.uniform(45, 80) * k)
            cv2.circle(img, pt(c), r, rng.uniform(40, 230, 3).tolist(), -1, cv2.LINE_AA)
            cv2.circle(img, pt(c), int(r * 0.8), (40, 30, 30), -1, cv2.LINE_AA)
            continue
        shapes: dict[str, tuple[tuple[float, ...], npt.NDArray[np.float64]]] = {
            "book": ((rng.uniform(150, 300), rng.uniform(200, 380)), rng.uniform(20, 200, 3)),
            "phone": ((rng.uniform(70, 90), rng.uniform(140, 180)), np.full(3, 25.0)),
            "note": ((rng.uniform(70, 110),) * 2, np.array([90.0, 230, 240])),
            "card": (
                (rng.uniform(85, 100), rng.uniform(50, 60)),
                np.full(3, rng.uniform(200, 240)),
            ),
            "pen": ((rng.uniform(8, 12), rng.uniform(120, 170)), rng.uniform(20, 180, 3)),
        }
        dims, paint = shapes[str(kind)]
        box = cv2.boxPoints(((float(c[0]), float(c[1])), (dims[0] * k, dims[1] * k), float(ang)))
        cv2.fillConvexPoly(img, np.round(box * 16).astype(np.int32), paint.tolist(), cv2.LINE_AA, 4)
