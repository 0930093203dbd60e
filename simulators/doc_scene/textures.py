"""Textured desks: stone, carpet, a light fibrous mat, a cutting mat with its grid, a faint desk.

Fine textures are made at a working resolution of at most ~2 MP and scaled up: at 12 MP a
granite grain simply spans more pixels, as it does through a sharper camera. The cutting mat
lies in the page's plane, so its grid is drawn through the same homography as the page and
converges with the same perspective (float32 BGR, 0..255 throughout).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from simulators.doc_scene.pixels import Corners, FImage, f32, fill, lowfreq

_WORK_PIXELS = 2_100_000


def _work_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    s = min(1.0, math.sqrt(_WORK_PIXELS / (width * height)))
    return max(8, round(width * s)), max(8, round(height * s))


def _up(img: FImage, size: tuple[int, int]) -> FImage:
    if (img.shape[1], img.shape[0]) == size:
        return img
    return f32(cv2.resize(img, size, interpolation=cv2.INTER_LINEAR))


def _blurred_noise(rng: np.random.Generator, size: tuple[int, int], sigma: float) -> FImage:
    """Gaussian noise blurred to ``sigma`` pixels, rescaled to unit spread."""
    width, height = size
    n = rng.standard_normal((height, width), dtype=np.float32)
    if sigma > 0.3:
        n = f32(cv2.GaussianBlur(n, (0, 0), sigma))
    return f32(n / max(float(n.std()), 1e-6))


def granite(rng: np.random.Generator, size: tuple[int, int]) -> FImage:
    """Polished stone: mineral grains of two or three colours, speckle, the odd sparkle."""
    work = _work_size(size)
    k = work[1] / 1080
    palettes = [
        ((70, 70, 72), (20, 20, 22), (200, 200, 205)),  # salt and pepper
        ((150, 160, 175), (80, 85, 95), (230, 235, 240)),  # light grey
        ((120, 135, 170), (60, 70, 100), (210, 215, 230)),  # beige
        ((90, 95, 150), (40, 40, 70), (180, 190, 220)),  # pink-red
        ((30, 30, 32), (10, 10, 12), (120, 120, 125)),  # black galaxy
    ]
    base, dark, light = (np.array(c, np.float32) for c in palettes[int(rng.integers(5))])
    img = fill(work, base * rng.uniform(0.85, 1.15))
    grains = _blurred_noise(rng, work, rng.uniform(1.0, 3.0) * k)
    coarse = _blurred_noise(rng, work, rng.uniform(4, 12) * k)
    a = np.clip((grains + 0.6 * coarse - rng.uniform(0.6, 1.2)) * 2, 0, 1)[..., None]
    img = f32(img * (1 - a) + dark * a)
    b = np.clip((-grains + 0.4 * coarse - rng.uniform(0.8, 1.5)) * 2, 0, 1)[..., None]
    img = f32(img * (1 - b) + light * b)
    img += _blurred_noise(rng, work, 0.5 * k)[..., None] * rng.uniform(4, 12)
    veins = np.abs(_blurred_noise(rng, work, 25 * k)) < rng.uniform(0.0, 0.05)
    img[veins] = img[veins] * 0.6 + light * 0.4
    return _up(f32(img), size)


def carpet(rng: np.random.Generator, size: tuple[int, int]) -> FImage:
    """Loop-pile carpet: dense fine fibre noise, a tuft direction, maybe stripes or tile seams."""
    work = _work_size(size)
    k = work[1] / 1080
    base = rng.uniform(40, 190, 3).astype(np.float32)
    fibre = _blurred_noise(rng, work, rng.uniform(0.6, 1.4) * k)
    n = max(3, int(5 * k) | 1)
    kernel = np.zeros((n, n), np.float32)
    kernel[n // 2, :] = 1
    rot = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), rng.uniform(0, 180), 1)
    kernel = f32(cv2.warpAffine(kernel, rot, (n, n)))
    fibre = f32(cv2.filter2D(fibre, -1, kernel / max(float(kernel.sum()), 1e-3)))
    img = base * (1 + rng.uniform(0.12, 0.3) * fibre[..., None])
    img *= (1 + 0.08 * lowfreq(rng, work, 5))[..., None]
    height = work[1]
    if rng.random() < 0.4:  # woven stripes
        period = int(rng.uniform(20, 80) * k) + 2
        other = rng.uniform(30, 200, 3).astype(np.float32)
        rows = (np.arange(height) % period) < period // 3
        img[rows] = img[rows] * 0.5 + other * 0.5
    if rng.random() < 0.5:  # carpet tile seams
        tile = int(rng.uniform(300, 600) * k)
        off = int(rng.integers(0, tile))
        img[:, off::tile] *= 0.6
        img[off::tile, :] *= 0.6
    return _up(f32(img), size)


def fibre_desk(rng: np.random.Generator, size: tuple[int, int], paper: float) -> FImage:
    """A light fibrous surface (felt, blotting paper, a paper desk pad) 4-15 % below the paper."""
    work = _work_size(size)
    k = work[1] / 1080
    level = paper * (1 - rng.uniform(0.04, 0.15))
    tint = rng.uniform(-6, 4) * np.array([1.0, 0.4, -0.3])
    img = fill(work, level + tint)
    small = np.zeros((work[1] // 2, work[0] // 2), np.float32)
    for _ in range(int(rng.integers(2500, 6000))):
        c = rng.uniform((0, 0), (small.shape[1], small.shape[0]))
        ang, length = rng.uniform(0, math.pi), rng.uniform(3, 14) * k
        d = np.array([math.cos(ang), math.sin(ang)]) * length
        tone = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 1.0))
        p0, p1 = (round(c[0] - d[0]), round(c[1] - d[1])), (round(c[0] + d[0]), round(c[1] + d[1]))
        cv2.line(small, p0, p1, tone, 1, cv2.LINE_AA)
    fibres = f32(cv2.resize(small, work, interpolation=cv2.INTER_LINEAR))
    img += fibres[..., None] * rng.uniform(6, 16)
    img += _blurred_noise(rng, work, 0.7 * k)[..., None] * rng.uniform(1.5, 4)
    img *= (1 + 0.03 * lowfreq(rng, work, 4))[..., None]
    return _up(f32(img), size)


def faint_desk(rng: np.random.Generator, size: tuple[int, int], paper: float) -> FImage:
    """A white or light-grey desk only 3-8 % darker (or brighter) than the paper."""
    work = _work_size(size)
    k = work[1] / 1080
    diff = rng.uniform(0.03, 0.08)
    brighter = paper * (1 + diff) <= 254 and rng.random() < 0.3
    level = paper * (1 + diff if brighter else 1 - diff)
    tint = rng.uniform(-5, 3) * np.array([1.0, 0.4, -0.3])
    img = fill(work, level + tint)
    img *= (1 + 0.02 * lowfreq(rng, work, 5))[..., None]
    img += _blurred_noise(rng, work, rng.uniform(0.5, 2.0) * k)[..., None] * rng.uniform(0.5, 2)
    return _up(f32(img), size)


def grid_mat(
    rng: np.random.Generator, size: tuple[int, int], page: Corners, page_mm: tuple[float, float]
) -> FImage:
    """A self-healing cutting mat in the page's plane: 10 mm grid, bold every 5th, diagonals."""
    work = _work_size(size)
    s = work[0] / size[0]
    base = np.array(
        [(70, 110, 40), (60, 60, 60), (120, 70, 30), (40, 40, 45)][int(rng.integers(4))]
    )
    line = np.array(
        [(200, 220, 180), (230, 230, 230), (220, 200, 150), (60, 200, 230)][int(rng.integers(4))]
    )
    img = fill(work, base * rng.uniform(0.8, 1.2))
    pw, ph = page_mm
    rect = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    hom = cv2.getPerspectiveTransform((page * s).astype(np.float32), rect)
    ys, xs = np.mgrid[0 : work[1], 0 : work[0]].astype(np.float32)
    den = hom[2, 0] * xs + hom[2, 1] * ys + hom[2, 2]
    beyond = den <= 1e-6  # past the mat plane's horizon: no grid there
    den[beyond] = 1.0
    u = (hom[0, 0] * xs + hom[0, 1] * ys + hom[0, 2]) / den
    v = (hom[1, 0] * xs + hom[1, 1] * ys + hom[1, 2]) / den
    ang = math.radians(rng.uniform(-20, 20) if rng.random() < 0.7 else rng.uniform(0, 90))
    mu = u * math.cos(ang) + v * math.sin(ang) + rng.uniform(0, 10)
    mv = -u * math.sin(ang) + v * math.cos(ang) + rng.uniform(0, 10)
    mm_px = ph / max(1.0, float(np.linalg.norm((page[3] - page[0]) * s)))
    alpha = np.zeros(work[::-1], np.float32)
    for period, width, strength in ((10.0, 0.35, 0.6), (50.0, 0.7, 0.9)):
        for coord in (mu, mv):
            d = np.abs((coord / period + 0.5) % 1.0 - 0.5) * period
            np.maximum(alpha, strength * np.clip(1 - (d - width / 2) / mm_px, 0, 1), out=alpha)
    if rng.random() < 0.5:  # the 45° guide
        d = np.abs(((mu - mv) / 1.4142 / 50 + 0.5) % 1.0 - 0.5) * 50
        np.maximum(alpha, 0.5 * np.clip(1 - (d - 0.2) / mm_px, 0, 1), out=alpha)
    alpha[beyond] = 0
    img = img * (1 - alpha[..., None]) + line * alpha[..., None]
    img *= (1 + 0.05 * lowfreq(rng, work, 4))[..., None]
    img += _blurred_noise(rng, work, 0.8)[..., None] * 3
    return _up(f32(img), size)
