"""Synthetic document-camera captures (高拍仪): photos of a page with known corners.

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

from dataclasses import dataclass
from enum import StrEnum
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from simulators.doc_scene.desk import cloth, clutter, light_desk, plain_desk, wood
from simulators.doc_scene.light import ambient_light, hand, motion_blur, shadow, uneven_light
from simulators.doc_scene.page import render_page
from simulators.doc_scene.pixels import Corners, FImage, Image, f32
from simulators.doc_scene.pose import pose, side_lengths


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


def generate(
    seed: int, condition: Condition | str, size: tuple[int, int] = (1920, 1080)
) -> tuple[Image, Corners]:
    """``(frame, true corners)`` for ``seed`` and ``condition``; ``size`` is (width, height)."""
    scene = generate_scene(seed, condition, size)
    return scene.frame, scene.corners


def generate_scene(
    seed: int, condition: Condition | str, size: tuple[int, int] = (1920, 1080)
) -> Scene:
    """Render one frame; the same arguments always give the same pixels.

    Every step draws from one generator in a fixed order: reordering them changes the set."""
    cond = Condition(condition)
    rng = np.random.default_rng([seed, _CONDITION_INDEX[cond], 0x6B66])
    k = size[1] / 1080.0  # lengths below are tuned at 1080p and scale with the frame

    landscape = rng.random() < 0.2
    page_mm = (297.0, 210.0) if landscape else (210.0, 297.0)
    corners = pose(rng, size, page_mm[0] / page_mm[1])
    level, yellow = rng.uniform(232, 252), rng.uniform(0, 12)
    paper = np.array([level - yellow, level - 0.4 * yellow, level])

    scene = _desk(rng, cond, size, level, corners, k)
    scene = _lay_page(rng, scene, corners, page_mm, landscape, paper)
    if cond is Condition.CLUTTER and rng.random() < 0.5:
        clutter(rng, scene, corners, k, under=False)
    if cond is Condition.HAND:
        hand(rng, scene, corners, k)
    scene = _light(rng, cond, scene, corners)
    frame = _capture(rng, cond, scene, k)
    return Scene(frame, corners, page_mm, cond, seed)


def _desk(
    rng: np.random.Generator,
    cond: Condition,
    size: tuple[int, int],
    paper_level: float,
    corners: Corners,
    k: float,
) -> FImage:
    """The empty desk the condition calls for (with clutter under the page for CLUTTER)."""
    if cond is Condition.LOW_CONTRAST:
        return light_desk(rng, size, paper_level)
    if cond is Condition.WOOD:
        return wood(rng, size)
    if cond is Condition.CLOTH:
        return cloth(rng, size)
    if cond is Condition.CLUTTER:
        scene = (plain_desk, wood)[int(rng.integers(2))](rng, size)
        clutter(rng, scene, corners, k, under=True)
        return scene
    if cond is Condition.PLAIN_DESK:
        return plain_desk(rng, size)
    return (plain_desk, wood, cloth)[int(rng.integers(3))](rng, size)


def _lay_page(
    rng: np.random.Generator,
    desk: FImage,
    corners: Corners,
    page_mm: tuple[float, float],
    landscape: bool,
    paper: npt.NDArray[np.float64],
) -> FImage:
    """Render the page at about the resolution it appears with and warp it onto the desk."""
    size = (desk.shape[1], desk.shape[0])
    side = max(side_lengths(corners))
    page_h = int(np.clip(side * rng.uniform(1.0, 1.3), 200, 4000))
    page_w = round(page_h * page_mm[0] / page_mm[1])
    sheet = render_page(rng, page_w, page_h, landscape, paper)
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
    return f32(desk * (1.0 - mask) + warped.astype(np.float32) * mask)


def _light(rng: np.random.Generator, cond: Condition, scene: FImage, corners: Corners) -> FImage:
    size = (scene.shape[1], scene.shape[0])
    light = ambient_light(rng, size)
    if cond is Condition.UNEVEN_LIGHT:
        light = light * uneven_light(rng, size)
    elif cond is Condition.SHADOW:
        light = light * shadow(rng, size, corners)
    return f32(scene * light[..., None])


def _capture(rng: np.random.Generator, cond: Condition, scene: FImage, k: float) -> Image:
    """What the camera makes of the scene: optics blur, sensor noise, MJPEG compression."""
    blur = rng.uniform(0.5, 0.9) * k
    scene = f32(cv2.GaussianBlur(scene, (0, 0), blur))
    noise = rng.uniform(1.5, 3.5)
    if cond is Condition.BLUR_NOISE:
        scene = motion_blur(rng, scene, rng.uniform(5, 15) * k)
        noise = rng.uniform(7, 14)
    scene += rng.standard_normal(scene.shape, dtype=np.float32) * np.float32(noise)
    frame = np.clip(scene, 0, 255).astype(np.uint8)

    quality = int(rng.integers(8, 26)) if cond is Condition.JPEG else int(rng.integers(80, 96))
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if ok:
        frame = cast(Image, cv2.imdecode(buf, cv2.IMREAD_COLOR))
    return np.ascontiguousarray(frame)
