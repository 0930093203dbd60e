"""A seeded synthetic document camera (高拍仪): photos of a page with known corners.

Each frame is a rendered A4 form (off-white paper, Chinese-looking text drawn from random
strokes, a table, a red stamp; one in five landscape) seen through a pinhole camera with a
random in-plane rotation (±40°), tilt (≤ 25° about each axis) and size (its longer side
30–85 % of the frame height, less when a turned page would not fit) on a desk, then
degraded the way real captures are (optics blur, sensor noise, MJPEG compression) plus one
named :class:`Condition`. The true page corners come from the same homography that
rendered the page, so a detector can be scored exactly (SmartDoc 2015 protocol).

Pixel convention: OpenCV's, pixel centres at integer coordinates; a page rendered as a
``w × h`` image covers ``[-0.5, w - 0.5] × [-0.5, h - 0.5]``, and those are the corners
mapped into the frame.

Nothing here is tuned to make detection easy: plank seams and cloth stripes are long straight
lines, clutter includes white cards and a pen lying across the page edge, the hand really
hides part of an edge, and the low-contrast desk can be brighter than the paper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "Condition",
    "FrameSource",
    "Scene",
    "SyntheticFrameSource",
    "generate",
    "generate_scene",
    "jaccard",
    "source_from_name",
]

Image = npt.NDArray[np.uint8]
FImage = npt.NDArray[np.float32]
Corners = npt.NDArray[np.float64]


class Condition(StrEnum):
    """What makes a frame hard, one per frame."""

    PLAIN_DESK = "plain_desk"
    WOOD = "wood"
    CLOTH = "cloth"
    CLUTTER = "clutter"
    UNEVEN_LIGHT = "uneven_light"
    SHADOW = "shadow"
    LOW_CONTRAST = "low_contrast"
    HAND = "hand"
    BLUR_NOISE = "blur_noise"
    JPEG = "jpeg"


@dataclass(frozen=True, slots=True)
class Scene:
    """One synthetic capture and its ground truth."""

    frame: Image
    #: page corners in frame pixels, the page's own TL, TR, BR, BL
    corners: Corners
    #: the page's own size (mm): 210 × 297 portrait or 297 × 210 landscape
    page_size: tuple[float, float]
    condition: Condition
    seed: int


_CONDITION_INDEX = {c: i for i, c in enumerate(Condition)}


def _f32(a: Any) -> FImage:
    """OpenCV's stubs return ``MatLike``; float32 in, float32 out."""
    return cast(FImage, np.asarray(a, np.float32))


def generate(
    seed: int, condition: Condition | str, size: tuple[int, int] = (1920, 1080)
) -> tuple[Image, Corners]:
    """``(frame, true corners)`` for ``seed`` and ``condition``; ``size`` is (width, height)."""
    scene = generate_scene(seed, condition, size)
    return scene.frame, scene.corners


def generate_scene(
    seed: int, condition: Condition | str, size: tuple[int, int] = (1920, 1080)
) -> Scene:
    """Render one frame; the same arguments always give the same pixels."""
    cond = Condition(condition)
    rng = np.random.default_rng([seed, _CONDITION_INDEX[cond], 0x6B66])
    k = size[1] / 1080.0  # lengths below are tuned at 1080p and scale with the frame

    landscape = rng.random() < 0.2
    page_mm = (297.0, 210.0) if landscape else (210.0, 297.0)
    corners = _pose(rng, size, page_mm[0] / page_mm[1])
    level, yellow = rng.uniform(232, 252), rng.uniform(0, 12)
    paper = np.array([level - yellow, level - 0.4 * yellow, level])

    if cond is Condition.LOW_CONTRAST:
        scene = _light_desk(rng, size, level)
    elif cond is Condition.WOOD:
        scene = _wood(rng, size)
    elif cond is Condition.CLOTH:
        scene = _cloth(rng, size)
    elif cond is Condition.CLUTTER:
        scene = (_plain_desk, _wood)[int(rng.integers(2))](rng, size)
        _clutter(rng, scene, corners, k, under=True)
    elif cond is Condition.PLAIN_DESK:
        scene = _plain_desk(rng, size)
    else:
        scene = (_plain_desk, _wood, _cloth)[int(rng.integers(3))](rng, size)

    side = max(_side_lengths(corners))
    page_h = int(np.clip(side * rng.uniform(1.0, 1.3), 200, 4000))
    page_w = round(page_h * page_mm[0] / page_mm[1])
    sheet = _render_page(rng, page_w, page_h, landscape, paper)
    src = np.array(
        [[-0.5, -0.5], [page_w - 0.5, -0.5], [page_w - 0.5, page_h - 0.5], [-0.5, page_h - 0.5]],
        np.float32,
    )
    hom = cv2.getPerspectiveTransform(src, corners.astype(np.float32))
    warped = cv2.warpPerspective(
        sheet, hom, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    mask = cv2.warpPerspective(
        np.ones((page_h, page_w), np.float32),
        hom,
        size,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )[..., None]
    scene = scene * (1.0 - mask) + warped.astype(np.float32) * mask

    if cond is Condition.CLUTTER and rng.random() < 0.5:
        _clutter(rng, scene, corners, k, under=False)
    if cond is Condition.HAND:
        _hand(rng, scene, corners, k)

    light = _ambient_light(rng, size)
    if cond is Condition.UNEVEN_LIGHT:
        light = light * _uneven_light(rng, size)
    elif cond is Condition.SHADOW:
        light = light * _shadow(rng, size, corners)
    scene = scene * light[..., None]

    blur = rng.uniform(0.5, 0.9) * k
    scene = cv2.GaussianBlur(scene, (0, 0), blur)
    noise = rng.uniform(1.5, 3.5)
    if cond is Condition.BLUR_NOISE:
        scene = _motion_blur(rng, scene, rng.uniform(5, 15) * k)
        noise = rng.uniform(7, 14)
    scene += rng.standard_normal(scene.shape, dtype=np.float32) * np.float32(noise)
    frame = np.clip(scene, 0, 255).astype(np.uint8)

    quality = int(rng.integers(8, 26)) if cond is Condition.JPEG else int(rng.integers(80, 96))
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if ok:
        frame = cast(Image, cv2.imdecode(buf, cv2.IMREAD_COLOR))
    return Scene(np.ascontiguousarray(frame), corners, page_mm, cond, seed)


def jaccard(found: npt.ArrayLike, truth: npt.ArrayLike, page_size: tuple[float, float]) -> float:
    """SmartDoc 2015 Jaccard index of quad ``found`` against the true quad ``truth``.

    Both (TL, TR, BR, BL, frame pixels) are warped into the page's own frame by the
    homography taking ``truth`` to a ``page_size`` rectangle, then compared by intersection
    over union, so an error on the far, foreshortened edge of a slanted page counts as
    much as one on the near edge. A quad reaching past the page plane's horizon scores 0.
    """
    w, h = page_size
    rect = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    hom = cv2.getPerspectiveTransform(np.asarray(truth, np.float32).reshape(4, 2), rect)
    pts = np.c_[np.asarray(found, np.float64).reshape(4, 2), np.ones(4)] @ hom.T
    if (pts[:, 2] <= 1e-9).any():
        return 0.0
    hull = cv2.convexHull((pts[:, :2] / pts[:, 2:3]).astype(np.float32))
    inter, _ = cv2.intersectConvexConvex(hull, cv2.convexHull(rect))
    union = cv2.contourArea(hull) + w * h - inter
    return float(inter / union) if union > 0 else 0.0


# --- geometry ---------------------------------------------------------------------------


def _side_lengths(quad: Corners) -> list[float]:
    return [float(np.linalg.norm(quad[i] - quad[(i + 1) % 4])) for i in range(4)]


def _rot(axis: int, angle: float) -> npt.NDArray[np.float64]:
    c, s = math.cos(angle), math.sin(angle)
    i, j = [(1, 2), (0, 2), (0, 1)][axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


def _pose(rng: np.random.Generator, size: tuple[int, int], aspect: float) -> Corners:
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
        depth *= max(_side_lengths(project(depth, centre))) / target
    lo, hi = np.array([margin, margin]), np.array([width - margin, height - margin])
    for attempt in range(400):
        quad = project(depth, rng.uniform(lo, hi))
        if (quad >= lo).all() and (quad <= hi).all():
            return quad
        if attempt % 20 == 19:  # a 40° turn of a large page may not fit: step back
            depth *= 1.05
    return project(depth, centre)


# --- backgrounds (float32 BGR, 0..255) ----------------------------------------------------


def _lowfreq(rng: np.random.Generator, size: tuple[int, int], cells: int) -> FImage:
    """Smooth random field in [-1, 1] (cubic-upsampled coarse noise)."""
    width, height = size
    coarse = rng.uniform(-1, 1, (cells, max(2, cells * width // height))).astype(np.float32)
    return _f32(cv2.resize(coarse, size, interpolation=cv2.INTER_CUBIC))


def _fill(size: tuple[int, int], bgr: Any) -> FImage:
    width, height = size
    return np.broadcast_to(np.asarray(bgr, np.float32), (height, width, 3)).copy()


def _plain_desk(rng: np.random.Generator, size: tuple[int, int]) -> FImage:
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
    img = _fill(size, base)
    img *= (1 + 0.04 * _lowfreq(rng, size, 3))[..., None]
    return img


def _light_desk(rng: np.random.Generator, size: tuple[int, int], paper: float) -> FImage:
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
    img = _fill(size, level + tint)
    img *= (1 + 0.03 * _lowfreq(rng, size, 5))[..., None]
    return img


def _wood(rng: np.random.Generator, size: tuple[int, int]) -> FImage:
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
    streak = _f32(cv2.resize(streak, size, interpolation=cv2.INTER_LINEAR))
    n = max(3, int(height / 25) | 1)
    kernel = np.zeros((n, n), np.float32)
    kernel[n // 2, :] = 1
    rot = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), -math.degrees(ang), 1)
    kernel = _f32(cv2.warpAffine(kernel, rot, (n, n)))
    streak = _f32(cv2.filter2D(streak, -1, kernel / max(float(kernel.sum()), 1e-3)))
    t = np.clip(0.15 + 0.55 * ring + 0.6 * streak + 0.1 * _lowfreq(rng, size, 3), 0, 1)
    img = light[None, None] * (1 - t[..., None]) + dark[None, None] * t[..., None]
    plank = rng.uniform(0.25, 0.6) * height
    v0 = float(v.min())
    for i in range(int(rng.integers(0, 3))):
        off = v0 + (i + rng.uniform(0.2, 0.8)) * plank
        seam = np.abs(v - off) < max(1.0, 1.5 * k)
        img[seam] *= 0.45
    return _f32(img)


def _cloth(rng: np.random.Generator, size: tuple[int, int]) -> FImage:
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
    wrinkle = _lowfreq(rng, size, 6)
    img *= (1 + 0.15 * wrinkle)[..., None]
    return _f32(img)


def _clutter(
    rng: np.random.Generator, img: FImage, page: Corners, k: float, *, under: bool
) -> None:
    """Books, phones, sticky notes, white cards, coins, mugs, pens; a pen may cross the page."""
    height, width = img.shape[:2]
    if not under:  # one pen lying across a page edge
        i = int(rng.integers(4))
        a, b = page[i], page[(i + 1) % 4]
        mid = a + (b - a) * rng.uniform(0.3, 0.7)
        ang = math.atan2(*(b - a)[::-1]) + rng.uniform(0.4, 1.2) * rng.choice([-1, 1])
        d = np.array([math.cos(ang), math.sin(ang)]) * rng.uniform(60, 120) * k
        color = [(30, 30, 30), (150, 60, 20), (20, 20, 160)][int(rng.integers(3))]
        cv2.line(img, _pt(mid - d), _pt(mid + d), color, max(2, int(9 * k)), cv2.LINE_AA)
        return
    for _ in range(int(rng.integers(5, 13))):
        kind = rng.choice(["book", "phone", "note", "card", "coin", "mug", "pen"])
        c = rng.uniform((0, 0), (width, height))
        ang = rng.uniform(0, 180)
        if kind == "coin":
            cv2.circle(img, _pt(c), int(rng.uniform(10, 16) * k), (120, 170, 190), -1, cv2.LINE_AA)
            continue
        if kind == "mug":
            r = int(rng.uniform(45, 80) * k)
            cv2.circle(img, _pt(c), r, rng.uniform(40, 230, 3).tolist(), -1, cv2.LINE_AA)
            cv2.circle(img, _pt(c), int(r * 0.8), (40, 30, 30), -1, cv2.LINE_AA)
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


def _pt(p: npt.NDArray[np.float64]) -> tuple[int, int]:
    return round(float(p[0])), round(float(p[1]))


# --- the page -----------------------------------------------------------------------------


def _glyph_bank(rng: np.random.Generator, cell: int, n: int = 48) -> list[Image]:
    """Square 'characters' made of the strokes of 汉字: 横, 竖, 撇, 捺, 点, boxes."""
    thick = max(1, round(cell / 11))
    bank = []
    for _ in range(n):
        g = np.full((cell, cell), 255, np.uint8)
        m = max(1, cell // 8)
        for _ in range(int(rng.integers(3, 8))):
            x0, y0 = rng.integers(m, cell - m, 2)
            kind = rng.integers(5)
            if kind == 0:
                x1, y1 = rng.integers(x0, cell - m + 1), y0
            elif kind == 1:
                x1, y1 = x0, rng.integers(y0, cell - m + 1)
            elif kind in (2, 3):
                d = int(rng.integers(cell // 5, cell // 2 + 1))
                x1, y1 = x0 + (d if kind == 3 else -d), y0 + d
            else:
                x1, y1 = x0 + max(1, cell // 10), y0 + max(1, cell // 10)
            cv2.line(g, (int(x0), int(y0)), (int(x1), int(y1)), 0, thick, cv2.LINE_AA)
        if rng.random() < 0.3:
            a, b = sorted(rng.integers(m, cell - m, 2))
            cv2.rectangle(g, (m, int(a)), (cell - m, int(b)), 0, thick, cv2.LINE_AA)
        bank.append(g)
    return bank


def _text_line(
    rng: np.random.Generator, ink: FImage, x: int, y: int, width: int, bank: list[Image]
) -> None:
    cell = bank[0].shape[0]
    step = int(cell * 1.08)
    n = int(width * rng.uniform(0.55, 1.0)) // step
    for i in range(n):
        gx = x + i * step
        if gx + cell > ink.shape[1] or y + cell > ink.shape[0]:
            break
        g = bank[int(rng.integers(len(bank)))].astype(np.float32) / 255
        np.minimum(ink[y : y + cell, gx : gx + cell], g, out=ink[y : y + cell, gx : gx + cell])


def _render_page(
    rng: np.random.Generator, w: int, h: int, landscape: bool, paper: npt.NDArray[np.float64]
) -> Image:
    """An official form: title, paragraphs, a bordered table, signature line, red seal."""
    ink = np.ones((h, w), np.float32)  # 1 = paper, 0 = full ink
    margin = int(w * rng.uniform(0.07, 0.11))
    body = max(6, round(h / (70 if landscape else 95)))
    small, big = _glyph_bank(rng, body), _glyph_bank(rng, int(body * 1.8), 16)
    y = int(h * rng.uniform(0.05, 0.08))
    _text_line(rng, ink, w // 2 - int(w * 0.22), y, int(w * 0.44), big)
    y += int(body * 3.5)
    line_h = int(body * rng.uniform(1.5, 1.9))
    for _ in range(int(rng.integers(3, 7))):
        _text_line(rng, ink, margin + 2 * body, y, w - 2 * margin - 2 * body, small)
        y += line_h
    rows, cols = int(rng.integers(4, 9)), int(rng.integers(2, 5))
    row_h, tw = int(body * 2.2), w - 2 * margin
    thick = max(1, body // 8)
    if y + rows * row_h < h * 0.8:
        y += body
        for r in range(rows + 1):
            cv2.line(ink, (margin, y + r * row_h), (margin + tw, y + r * row_h), 0.0, thick)
        xs = np.sort(rng.uniform(0.15, 0.85, cols - 1)) * tw + margin
        for xv in [margin, *xs.astype(int), margin + tw]:
            cv2.line(ink, (int(xv), y), (int(xv), y + rows * row_h), 0.0, thick)
        for r in range(rows):
            for x0, x1 in zip(
                [margin, *xs.astype(int)], [*xs.astype(int), margin + tw], strict=True
            ):
                _text_line(
                    rng,
                    ink,
                    int(x0) + body // 2,
                    y + r * row_h + body // 2,
                    int(x1 - x0) - body,
                    small,
                )
        y += rows * row_h + body * 2
    while y < h * 0.78:
        _text_line(rng, ink, margin, y, w - 2 * margin, small)
        y += line_h
    sig_y = int(h * rng.uniform(0.82, 0.88))
    _text_line(rng, ink, int(w * 0.6), sig_y, int(w * 0.3), small)
    img = paper[None, None] * (0.9 + 0.1 * ink[..., None]) - 200 * (1 - ink[..., None])
    img += rng.standard_normal((h, w, 1), dtype=np.float32) * 1.5  # paper fibre
    centre = (int(w * rng.uniform(0.62, 0.8)), sig_y - int(body * rng.uniform(0, 2)))
    radius = int(w * rng.uniform(0.08, 0.11))
    seal = np.zeros((h, w), np.float32)
    cv2.circle(seal, centre, radius, 1.0, max(2, radius // 14), cv2.LINE_AA)
    star = [
        (
            centre[0] + radius * 0.3 * math.cos(math.pi / 2 + i * 4 * math.pi / 5),
            centre[1] - radius * 0.3 * math.sin(math.pi / 2 + i * 4 * math.pi / 5),
        )
        for i in range(5)
    ]
    cv2.fillPoly(seal, [np.round(np.array(star)).astype(np.int32)], 1.0, cv2.LINE_AA)
    red = np.array([50, 40, 210], np.float32)
    a = (seal * rng.uniform(0.6, 0.9))[..., None]
    img = img * (1 - a) + np.minimum(img, red) * a
    return cast(Image, np.clip(img, 0, 255).astype(np.uint8))


# --- light, hands, the camera ---------------------------------------------------------------


def _ambient_light(rng: np.random.Generator, size: tuple[int, int]) -> FImage:
    """Mild gain, gradient and vignetting every real capture has."""
    return _smooth(_ambient_small(rng, (size[0] // 8, size[1] // 8)), size)


def _smooth(small: FImage, size: tuple[int, int]) -> FImage:
    """Smooth fields are computed at 1/8 size and interpolated up (fast at 12 MP)."""
    return _f32(cv2.resize(small, size, interpolation=cv2.INTER_LINEAR))


def _ambient_small(rng: np.random.Generator, size: tuple[int, int]) -> FImage:
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    r2 = ((xs - width / 2) ** 2 + (ys - height / 2) ** 2) / (width**2 + height**2) * 4
    ang = rng.uniform(0, 2 * math.pi)
    g = (xs * math.cos(ang) + ys * math.sin(ang)) / max(width, height)
    return _f32(rng.uniform(0.85, 1.05) * (1 - 0.12 * r2) * (1 + 0.08 * g))


def _uneven_light(rng: np.random.Generator, size: tuple[int, int]) -> FImage:
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
    return _f32((lo + (1 - lo) * g) * (1 + rng.uniform(0.05, 0.25) * spot))


def _shadow(rng: np.random.Generator, size: tuple[int, int], page: Corners) -> FImage:
    """A soft shadow (a head, an arm, the camera stand) over 20–60 % of the page."""
    width, height = size
    sc = 4
    small = np.zeros((height // sc, width // sc), np.float32)
    centre = page.mean(axis=0) + (page[int(rng.integers(4))] - page.mean(axis=0)) * rng.uniform(
        0.6, 1.2
    )
    span = np.ptp(page, axis=0).max()
    axes = (int(span * rng.uniform(0.35, 0.7) / sc), int(span * rng.uniform(0.2, 0.5) / sc))
    cv2.ellipse(small, _pt(centre / sc), axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
    if rng.random() < 0.5:  # an arm: a long band out to the frame edge
        far = centre + rng.normal(0, 1, 2) * max(width, height)
        cv2.line(small, _pt(centre / sc), _pt(far / sc), 1.0, max(1, axes[1]))
    soft = rng.uniform(4, 25) * height / 1080 / sc
    small = _f32(cv2.GaussianBlur(small, (0, 0), soft))
    mask = cv2.resize(small, size, interpolation=cv2.INTER_LINEAR)
    return (1 - rng.uniform(0.3, 0.55) * mask).astype(np.float32)


def _hand(rng: np.random.Generator, img: FImage, page: Corners, k: float) -> None:
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
        _pt(palm),
        (int(spread * 0.55), int(finger_len * 0.8)),
        math.degrees(math.atan2(t[1], t[0])),
        0,
        360,
        1.0,
        -1,
        cv2.LINE_AA,
    )
    far = palm - inward * 3000 * k
    cv2.line(layer, _pt(palm), _pt(far), 1.0, int(spread * 0.8), cv2.LINE_AA)
    depth = rng.uniform(0.04, 0.1) * length
    for j in range(4):
        base = palm + t * spread * (j / 3 - 0.5) * 0.8
        tip = at + t * spread * (j / 3 - 0.5) * 0.9 + inward * depth * (1 - abs(j - 1.5) / 4)
        cv2.line(layer, _pt(base), _pt(tip), 1.0, max(6, int(spread / 6)), cv2.LINE_AA)
    shadow = cv2.GaussianBlur(layer, (0, 0), 6 * k)
    img *= (1 - 0.3 * np.roll(shadow, (int(5 * k), int(5 * k)), (0, 1)))[..., None]
    shade = 0.85 + 0.15 * _lowfreq(rng, (img.shape[1], img.shape[0]), 3)
    m = layer[..., None]
    img[:] = img * (1 - m) + (skin[None, None] * shade[..., None]) * m


def _motion_blur(rng: np.random.Generator, img: FImage, length: float) -> FImage:
    n = max(3, int(length) | 1)
    kernel = np.zeros((n, n), np.float32)
    kernel[n // 2, :] = 1
    rot = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), rng.uniform(0, 180), 1)
    kernel = _f32(cv2.warpAffine(kernel, rot, (n, n)))
    return _f32(cv2.filter2D(img, -1, kernel / kernel.sum()))


# --- a VideoCapture look-alike for the driver ---------------------------------------------


class SyntheticFrameSource:
    """Mimics ``cv2.VideoCapture``: ``read() -> (ok, frame)``, ``isOpened()``, ``release()``.

    Frames cycle through the conditions (or one fixed ``condition``) with seeds ``seed``,
    ``seed + 1``, ... Fault switches: ``closed`` (never opens, like an unplugged camera) and
    ``drop_every`` (every n-th read fails, like a USB hiccup).
    """

    def __init__(
        self,
        condition: Condition | str | None = None,
        seed: int = 0,
        size: tuple[int, int] = (1920, 1080),
        *,
        closed: bool = False,
        drop_every: int = 0,
    ) -> None:
        self.condition = Condition(condition) if condition else None
        self.seed = seed
        self.size = size
        self.closed = closed
        self.drop_every = drop_every
        self.reads = 0
        self.last: Scene | None = None

    def isOpened(self) -> bool:  # the VideoCapture spelling
        return not self.closed

    def read(self) -> tuple[bool, Image | None]:
        if self.closed:
            return False, None
        self.reads += 1
        if self.drop_every and self.reads % self.drop_every == 0:
            return False, None
        conds = [self.condition] if self.condition else list(Condition)
        n = self.seed + self.reads - 1
        self.last = generate_scene(n, conds[n % len(conds)], self.size)
        return True, self.last.frame

    def release(self) -> None:
        self.closed = True


FrameSource = SyntheticFrameSource  # the name the driver's docs use


def source_from_name(name: str) -> SyntheticFrameSource:
    """``synthetic:[condition][?seed=N&size=WxH]`` → a source (``synthetic:`` cycles all)."""
    spec = name.removeprefix("synthetic:")
    cond, _, query = spec.partition("?")
    opts = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
    w, _, h = opts.get("size", "1920x1080").partition("x")
    return SyntheticFrameSource(cond or None, int(opts.get("seed", 0)), (int(w), int(h)))
