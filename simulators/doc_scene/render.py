"""Synthetic document-camera captures (高拍仪): photos of a page with known corners.

Each frame is a rendered A4 page (off-white paper; one in five landscape) of one of seven
kinds (:mod:`.page`: forms, printed photos, ID-card copies, full-width tables, handwriting,
dense Chinese text, certificates with a printed frame; real 汉字 when a CJK font is
installed), seen through a pinhole camera (:mod:`.pose`) on a desk (:mod:`.desk`,
:mod:`.textures`), sometimes with one edge gently curled (:mod:`.lay`), covered in part
(:mod:`.occlude`), lit (:mod:`.light`) and captured by a camera with its noise, blur,
white balance and JPEG (:mod:`.camera`), under one named :class:`Condition`. The true page
corners come from the same homography that rendered the page, so a detector can be scored
exactly (SmartDoc 2015 protocol).

Pixel convention: OpenCV's, pixel centres at integer coordinates; a page rendered as a
``w × h`` image covers ``[-0.5, w - 0.5] × [-0.5, h - 0.5]``, and those are the corners
mapped into the frame.

Nothing here is tuned to make any detector's work easy or hard: desks, pages and hands are
modelled on what lies on real counters. Conditions in :data:`HELD_OUT` are for scoring only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulators.doc_scene.camera import expose, optics, pipeline, sensor
from simulators.doc_scene.conditions import HELD_OUT, TEXTURED, TUNING, Condition
from simulators.doc_scene.desk import cloth, clutter, light_desk, plain_desk, wood
from simulators.doc_scene.lay import contact_shadow, curl_of, lay_page
from simulators.doc_scene.light import ambient_light, hand, shadow, uneven_light
from simulators.doc_scene.occlude import fingers, other_sheet, phone_or_sheet
from simulators.doc_scene.page import KINDS, render_page
from simulators.doc_scene.pixels import Corners, FImage, Image, f32
from simulators.doc_scene.pose import pose, side_lengths
from simulators.doc_scene.textures import carpet, faint_desk, fibre_desk, granite, grid_mat

__all__ = ["HELD_OUT", "TUNING", "Condition", "Scene", "compose", "generate", "generate_scene"]

C = Condition

#: the share of pages with one edge curled, in every condition
CURL_CHANCE = 0.3

_POSE_MODE = {C.STEEP: "steep", C.FRAME_EDGE: "frame_edge", C.SMALL_PAGE: "small"}


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
    #: what is printed on the page: one of :data:`.page.KINDS`
    kind: str = ""


_CONDITION_INDEX = {c: i for i, c in enumerate(Condition)}


def generate(
    seed: int, condition: Condition | str, size: tuple[int, int] = (1920, 1080)
) -> tuple[Image, Corners]:
    """``(frame, true corners)`` for ``seed`` and ``condition``; ``size`` is (width, height)."""
    scene = generate_scene(seed, condition, size)
    return scene.frame, scene.corners


def generate_scene(
    seed: int,
    condition: Condition | str,
    size: tuple[int, int] = (1920, 1080),
    *,
    kind: str | None = None,
) -> Scene:
    """Render one frame; the same arguments always give the same pixels. ``kind`` forces what
    is printed on the page (``"blank"``: nothing, an empty sheet), all else equal.

    Every step draws from one generator in a fixed order: reordering them changes the set."""
    return compose(seed, condition, size, kind=kind)[0]


def compose(
    seed: int,
    condition: Condition | str,
    size: tuple[int, int] = (1920, 1080),
    *,
    flat: bool = False,
    kind: str | None = None,
) -> tuple[Scene, FImage]:
    """The scene and the page's coverage mask (0..1 per frame pixel, before occluders).

    ``flat`` lays the page without its curl (if it had one), all else equal: for tests that
    check the straight edges."""
    cond = Condition(condition)
    rng = np.random.default_rng([seed, _CONDITION_INDEX[cond], 0x6B66])
    k = size[1] / 1080.0  # lengths below are tuned at 1080p and scale with the frame

    landscape = rng.random() < 0.2
    page_mm = (297.0, 210.0) if landscape else (210.0, 297.0)
    corners = pose(rng, size, page_mm[0] / page_mm[1], _POSE_MODE.get(cond, "normal"))
    level, yellow = rng.uniform(232, 252), rng.uniform(0, 12)
    paper = np.array([level - yellow, level - 0.4 * yellow, level])

    desk = _desk(rng, cond, size, level, corners, page_mm, k)
    if cond is C.OVERLAP and rng.random() < 0.3:  # the page lies on another sheet
        other_sheet(rng, desk, corners, int(rng.integers(4)), k, level)
    side = max(side_lengths(corners))
    page_h = int(np.clip(side * rng.uniform(1.0, 1.3), 200, 4000))
    page_w = round(page_h * page_mm[0] / page_mm[1])
    drawn = KINDS[int(rng.integers(len(KINDS)))]  # drawn even when forced: same pixels else
    kind = kind or drawn
    sheet = render_page(rng, page_w, page_h, landscape, paper, kind)
    curl = curl_of(rng, CURL_CHANCE)
    if flat:
        curl = (curl[0], 0.0, curl[2], curl[3])
    scene, mask = lay_page(desk, sheet, corners, curl)
    contact_shadow(rng, scene, mask, k)
    _cover(rng, cond, scene, corners, k, level)
    scene = _light(rng, cond, scene, corners)
    frame = _capture(rng, cond, scene, k)
    return Scene(frame, corners, page_mm, cond, seed, kind), mask


def _desk(
    rng: np.random.Generator,
    cond: Condition,
    size: tuple[int, int],
    paper_level: float,
    corners: Corners,
    page_mm: tuple[float, float],
    k: float,
) -> FImage:
    """The empty desk the condition calls for (with clutter under the page for CLUTTER)."""
    simple: dict[Condition, Callable[[np.random.Generator, tuple[int, int]], FImage]] = {
        C.WOOD: wood,
        C.CLOTH: cloth,
        C.PLAIN_DESK: plain_desk,
        C.GRANITE: granite,
        C.CARPET: carpet,
    }
    if cond in simple:
        return simple[cond](rng, size)
    if cond is C.LOW_CONTRAST:
        return light_desk(rng, size, paper_level)
    if cond in (C.FAINT, C.FAINT_SHADOW):
        return faint_desk(rng, size, paper_level)
    if cond is C.FIBRE_DESK:
        return fibre_desk(rng, size, paper_level)
    if cond is C.GRID_MAT:
        return grid_mat(rng, size, corners, page_mm)
    if cond is C.UNEVEN_TEXTURE:
        kind = TEXTURED[int(rng.integers(len(TEXTURED)))]
        if kind is C.FIBRE_DESK:
            return fibre_desk(rng, size, paper_level)
        return simple[kind](rng, size)
    if cond is C.CLUTTER:
        scene = (plain_desk, wood)[int(rng.integers(2))](rng, size)
        clutter(rng, scene, corners, k, under=True)
        return scene
    mixed = (plain_desk, wood, cloth, granite, carpet)
    if cond in (C.FINGERS, C.OVERLAP, C.STEEP, C.FRAME_EDGE, C.SMALL_PAGE):
        if rng.random() < 0.2:
            return light_desk(rng, size, paper_level)
        return mixed[int(rng.integers(len(mixed)))](rng, size)
    return (plain_desk, wood, cloth)[int(rng.integers(3))](rng, size)


def _cover(
    rng: np.random.Generator,
    cond: Condition,
    scene: FImage,
    corners: Corners,
    k: float,
    paper_level: float,
) -> None:
    """What lies on top of the page: a pen, a hand, fingers, a phone or another sheet."""
    if cond is C.CLUTTER and rng.random() < 0.5:
        clutter(rng, scene, corners, k, under=False)
    elif cond is C.HAND:
        hand(rng, scene, corners, k)
    elif cond is C.FINGERS:
        fingers(rng, scene, corners, k)
    elif cond is C.OVERLAP:
        phone_or_sheet(rng, scene, corners, k, paper_level)


def _light(rng: np.random.Generator, cond: Condition, scene: FImage, corners: Corners) -> FImage:
    size = (scene.shape[1], scene.shape[0])
    light = ambient_light(rng, size)
    if cond in (C.UNEVEN_LIGHT, C.UNEVEN_TEXTURE):
        light = light * uneven_light(rng, size)
    elif cond in (C.SHADOW, C.FAINT_SHADOW):
        light = light * shadow(rng, size, corners)
    return f32(scene * light[..., None])


def _capture(rng: np.random.Generator, cond: Condition, scene: FImage, k: float) -> Image:
    """The camera (:mod:`.camera`): exposure, optics, sensor noise, sharpening, JPEG."""
    scene = expose(rng, scene)
    motion = rng.uniform(5, 15) * k if cond is C.BLUR_NOISE else 0.0
    scene = optics(rng, scene, k, motion)
    read = rng.uniform(7, 14) if cond is C.BLUR_NOISE else rng.uniform(1.0, 3.0)
    scene = sensor(rng, scene, read)
    quality = int(rng.integers(8, 26)) if cond is C.JPEG else int(rng.integers(70, 96))
    return pipeline(rng, scene, k, quality)
