"""What covers part of the page: fingers and thumbs on corners and edges, a phone, another sheet.

Sizes are physical: a finger is 15-20 mm wide and a thumb 20-25 mm, a phone 70 × 150 mm,
converted with the page's own scale (its longer side is 297 mm), so a small page gets
relatively big fingers. Occluders lie on top of the page (a sheet may also lie under it).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from simulators.doc_scene.page import render_page
from simulators.doc_scene.pixels import (
    Corners,
    FImage,
    f32,
    lowfreq,
    pt,
    roi,
    shifted,
    soft_blur,
)


def _mm(page: Corners) -> float:
    """Frame pixels per millimetre of the page, from its longer side."""
    sides = [float(np.linalg.norm(page[i] - page[(i + 1) % 4])) for i in range(4)]
    return max(sides) / 297.0


def _inward(page: Corners, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit tangent of edge ``i`` and unit normal pointing into the page."""
    a, b = page[i], page[(i + 1) % 4]
    t = (b - a) / max(1e-6, float(np.linalg.norm(b - a)))
    n = np.array([-t[1], t[0]])
    if np.dot(page.mean(axis=0) - a, n) < 0:
        n = -n
    return t, n


def fingers(rng: np.random.Generator, img: FImage, page: Corners, k: float) -> None:
    """One or two hands pressing the page down with a finger or thumb, over a corner or an
    edge; the curled fingers, palm and arm beside and beyond."""
    mm = _mm(page)
    skin = np.array([rng.uniform(110, 170), rng.uniform(145, 190), rng.uniform(190, 235)])
    layer = np.zeros(img.shape[:2], np.float32)
    nails = np.zeros(img.shape[:2], np.float32)
    centre = page.mean(axis=0)
    for _ in range(int(rng.integers(1, 3))):
        i = int(rng.integers(4))
        width = mm * (rng.uniform(20, 25) if rng.random() < 0.5 else rng.uniform(15, 20))
        if rng.random() < 0.5:  # over a corner: the corner itself is hidden
            corner = page[i]
            into = (centre - corner) / float(np.linalg.norm(centre - corner))
            tip = corner + into * mm * rng.uniform(8, 30)
            ang = math.atan2(-into[1], -into[0]) + rng.uniform(-0.6, 0.6)
        else:  # across an edge
            _, n = _inward(page, i)
            at = page[i] + (page[(i + 1) % 4] - page[i]) * rng.uniform(0.1, 0.9)
            tip = at + n * mm * rng.uniform(5, 25)
            ang = math.atan2(-n[1], -n[0]) + rng.uniform(-0.7, 0.7)
        _hand(rng, (layer, nails), tip, ang, width, mm, k)
    _paint_skin(rng, img, layer, nails * layer, skin, k)


def _hand(
    rng: np.random.Generator,
    layers: tuple[FImage, FImage],
    tip: np.ndarray,
    ang: float,
    width: float,
    mm: float,
    k: float,
) -> None:
    """A hand whose finger (or thumb) ends at ``tip``, reaching in from direction ``ang``:
    the pressing finger, three fingers curled beside it, the palm and the forearm."""
    layer, nails = layers
    d = np.array([math.cos(ang), math.sin(ang)])
    side = np.array([-d[1], d[0]]) * rng.choice([-1.0, 1.0])
    base = tip + d * mm * rng.uniform(55, 80)
    cv2.line(layer, pt(tip + d * width / 2), pt(base), 1.0, max(3, int(width)), cv2.LINE_AA)
    palm = base + d * mm * 40 + side * mm * 30
    axes = (int(mm * rng.uniform(45, 55)), int(mm * rng.uniform(40, 50)))
    cv2.ellipse(layer, pt(palm), axes, math.degrees(ang), 0, 360, 1.0, -1, cv2.LINE_AA)
    for j in range(3):  # the other fingers, curled under the palm's edge
        root = palm - d * mm * 35 + side * mm * (j * 18 - 5)
        end = root - d * mm * rng.uniform(15, 35)
        cv2.line(layer, pt(root), pt(end), 1.0, max(3, int(mm * 16)), cv2.LINE_AA)
    arm = palm + d * 2000 * k
    cv2.line(layer, pt(palm), pt(arm), 1.0, int(mm * rng.uniform(55, 70)), cv2.LINE_AA)
    nail = tip + d * width * 0.55
    nail_axes = (max(2, int(width * 0.32)), max(2, int(width * 0.45)))
    cv2.ellipse(nails, pt(nail), nail_axes, math.degrees(ang) + 90, 0, 360, 1.0, -1, cv2.LINE_AA)


def _paint_skin(
    rng: np.random.Generator, img: FImage, layer: FImage, nails: FImage, skin: np.ndarray, k: float
) -> None:
    """Soft contact shadow, rounded shading across each finger, lighter nails."""
    box = roi(layer, 40 * k)
    if box is None:
        return
    sub, lay, nail = img[box], layer[box], nails[box]
    shadow = soft_blur(lay, max(1.0, 8 * k))
    off = (int(rng.uniform(3, 9) * k), int(rng.uniform(3, 9) * k))
    sub *= (1 - 0.35 * shifted(shadow, *off))[..., None]
    rounded = soft_blur(lay, max(1.0, 6 * k))
    size = (sub.shape[1], sub.shape[0])
    shade = (0.7 + 0.3 * np.clip(rounded * 1.6, 0, 1)) * (0.92 + 0.08 * lowfreq(rng, size, 3))
    colour = skin[None, None] * shade[..., None]
    colour = colour * (1 - 0.5 * nail[..., None]) + (skin * 1.12) * 0.5 * nail[..., None]
    m = lay[..., None]
    sub[:] = sub * (1 - m) + colour * m


def phone_or_sheet(
    rng: np.random.Generator, img: FImage, page: Corners, k: float, paper: float
) -> None:
    """A phone or another sheet lying on one corner of the page."""
    mm = _mm(page)
    i = int(rng.integers(4))
    centre = page.mean(axis=0)
    into = (centre - page[i]) / float(np.linalg.norm(centre - page[i]))
    if rng.random() < 0.55:
        dims = np.array([rng.uniform(68, 78), rng.uniform(140, 165)]) * mm
        at = page[i] + into * mm * rng.uniform(-20, 25)
        deg = rng.uniform(0, 180)
        _box(img, at, dims, deg, np.full(3, rng.uniform(15, 45)), k, dims[0] * 0.12)
        screen = dims * np.array([0.9, 0.85])
        glare = np.array([rng.uniform(40, 90)] * 3)
        _box(img, at, screen, deg, glare, k, 0.0, soft=False)
        return
    other_sheet(rng, img, page, i, k, paper)


def other_sheet(
    rng: np.random.Generator, img: FImage, page: Corners, i: int, k: float, paper: float
) -> None:
    """Another printed sheet (A4 or A5) over corner ``i`` of the page: its centre lies
    beyond that corner, so it covers the corner and a little around it. Called before the
    page is laid, it lies under the page instead."""
    mm = _mm(page)
    centre = page.mean(axis=0)
    into = (centre - page[i]) / float(np.linalg.norm(centre - page[i]))
    w, h = np.array([210.0, 297.0]) * mm * (1.0 if rng.random() < 0.6 else 0.707)
    reach = 0.5 * math.hypot(w, h) * rng.uniform(0.55, 0.95)
    at = page[i] - into * reach + rng.normal(0, 10 * mm, 2)
    deg = rng.uniform(0, 360)
    tone = paper * rng.uniform(0.94, 1.02)
    bgr = np.clip(tone + rng.uniform(-6, 4) * np.array([1, 0.4, -0.3]), 0, 255)
    sheet = render_page(rng, max(8, int(w)), max(8, int(h)), False, bgr)
    rot = math.radians(deg)
    ux, uy = np.array([math.cos(rot), math.sin(rot)]), np.array([-math.sin(rot), math.cos(rot)])
    quad = np.array([at + (sx * w / 2) * ux + (sy * h / 2) * uy for sx, sy in _SIGNS])
    lo = np.maximum(np.floor(quad.min(axis=0) - 20 * k), 0).astype(int)
    hi = np.minimum(np.ceil(quad.max(axis=0) + 20 * k), (img.shape[1], img.shape[0])).astype(int)
    if (hi <= lo).any():
        return
    sh, sw = sheet.shape[:2]
    src = np.array([[-0.5, -0.5], [sw - 0.5, -0.5], [sw - 0.5, sh - 0.5]], np.float32)
    aff = cv2.getAffineTransform(src, (quad[:3] - lo).astype(np.float32))
    size = (int(hi[0] - lo[0]), int(hi[1] - lo[1]))
    warped = f32(cv2.warpAffine(sheet, aff, size, flags=cv2.INTER_LINEAR))
    mask = f32(cv2.warpAffine(np.ones((sh, sw), np.float32), aff, size, flags=cv2.INTER_LINEAR))
    sub = img[lo[1] : hi[1], lo[0] : hi[0]]
    shadow = soft_blur(mask, max(1.0, 5 * k))
    sub *= (1 - 0.2 * shifted(shadow, int(3 * k), int(3 * k)))[..., None]
    m = mask[..., None]
    sub[:] = sub * (1 - m) + warped * m


_SIGNS = ((-1, -1), (1, -1), (1, 1))


def _box(
    img: FImage,
    at: np.ndarray,
    dims: np.ndarray,
    deg: float,
    colour: np.ndarray,
    k: float,
    radius: float,
    *,
    soft: bool = True,
) -> None:
    """A filled (rounded) rectangle turned ``deg`` degrees, with a soft shadow."""
    box = cv2.boxPoints(((float(at[0]), float(at[1])), (float(dims[0]), float(dims[1])), deg))
    layer = np.zeros(img.shape[:2], np.float32)
    cv2.fillConvexPoly(layer, np.round(box * 16).astype(np.int32), 1.0, cv2.LINE_AA, 4)
    area = roi(layer, 30 * k + radius)
    if area is None:
        return
    sub, layer = img[area], layer[area]
    if radius > 1:
        layer = soft_blur(layer, radius / 3)
        layer = np.clip((layer - 0.5) * 4 + 0.5, 0, 1)
    if soft:
        shadow = soft_blur(layer, max(1.0, 6 * k))
        sub *= (1 - 0.3 * shifted(shadow, int(4 * k), int(4 * k)))[..., None]
    m = layer[..., None]
    sub[:] = sub * (1 - m) + colour[None, None] * m
