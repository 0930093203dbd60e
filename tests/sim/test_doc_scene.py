"""The synthetic document photos: seeded, exact ground truth, every condition at both sizes."""

from __future__ import annotations

import numpy as np
import pytest

from simulators.doc_camera import HELD_OUT, TUNING, Condition, generate_scene, source_from_name
from simulators.doc_scene.render import compose

HD = (1920, 1080)
MP12 = (4000, 3000)


def test_same_seed_same_pixels_other_seed_other_pixels() -> None:
    a = generate_scene(7, Condition.FINGERS, (960, 540))
    b = generate_scene(7, "fingers", (960, 540))
    assert np.array_equal(a.frame, b.frame) and np.array_equal(a.corners, b.corners)
    c = generate_scene(8, Condition.FINGERS, (960, 540))
    assert not np.array_equal(a.frame, c.frame)
    d = generate_scene(7, Condition.FAINT, (960, 540))  # the condition is part of the seed
    assert not np.array_equal(a.corners, d.corners)


def test_held_out_and_tuning_split_every_condition_once() -> None:
    assert HELD_OUT and TUNING
    assert not HELD_OUT & set(TUNING)
    assert HELD_OUT | set(TUNING) == set(Condition)
    assert len(TUNING) == len(set(TUNING))


def test_the_original_condition_names_still_open() -> None:
    for name in ("plain_desk", "wood", "cloth", "clutter", "uneven_light", "shadow"):
        assert Condition(name).value == name
    for name in ("low_contrast", "hand", "blur_noise", "jpeg"):
        source = source_from_name(f"synthetic:{name}?seed=3&size=320x240")
        ok, frame = source.read()
        assert ok and frame is not None and frame.shape == (240, 320, 3)


@pytest.mark.parametrize("condition", list(Condition))
def test_every_condition_renders_at_1080p(condition: Condition) -> None:
    scene = generate_scene(11, condition, HD)
    assert scene.frame.shape == (1080, 1920, 3) and scene.frame.dtype == np.uint8
    assert scene.corners.shape == (4, 2)
    assert (scene.corners >= -0.5).all()
    assert (scene.corners[:, 0] <= 1919.5).all() and (scene.corners[:, 1] <= 1079.5).all()
    assert scene.frame.std() > 5  # not a blank frame


@pytest.mark.parametrize("condition", list(Condition))
def test_every_condition_renders_at_12_megapixels(condition: Condition) -> None:
    scene = generate_scene(12, condition, MP12)
    assert scene.frame.shape == (3000, 4000, 3)
    assert (scene.corners[:, 0] <= 3999.5).all() and (scene.corners[:, 1] <= 2999.5).all()


def _off_corner(corners: np.ndarray, i: int, d: float) -> np.ndarray:
    """The point on corner ``i``'s bisector ``d`` pixels from both its edges (``d`` < 0: out)."""
    a = corners[(i - 1) % 4] - corners[i]
    b = corners[(i + 1) % 4] - corners[i]
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    half = np.arccos(np.clip(np.dot(a, b), -1, 1)) / 2
    bis = (a + b) / np.linalg.norm(a + b)
    return corners[i] + bis * d / np.sin(half)


def _at(mask: np.ndarray, p: np.ndarray) -> float | None:
    x, y = np.round(p).astype(int)
    if 0 <= x < mask.shape[1] and 0 <= y < mask.shape[0]:
        return float(mask[y, x])
    return None


@pytest.mark.parametrize("condition", [Condition.PLAIN_DESK, Condition.STEEP, Condition.SMALL_PAGE])
def test_corners_are_where_the_rendered_page_ends(condition: Condition) -> None:
    """The page mask is full just inside each true corner and empty just outside it (curl or
    not: a curl never moves a corner)."""
    for seed in range(4):
        scene, mask = compose(seed, condition, HD)
        for i in range(4):
            assert _at(mask, _off_corner(scene.corners, i, 2.0)) == pytest.approx(1, abs=0.02)
            assert _at(mask, _off_corner(scene.corners, i, -2.0)) in (None, 0.0)


@pytest.mark.parametrize("condition", [Condition.FAINT, Condition.STEEP, Condition.FRAME_EDGE])
def test_flat_pages_end_on_the_straight_lines_between_the_corners(condition: Condition) -> None:
    """Along every edge of an uncurled page, the mask is half-covered on the true line, full
    1.5 px inside it and empty 1.5 px outside it (sampled at 9 points per edge)."""
    for seed in range(3):
        scene, mask = compose(seed, condition, HD, flat=True)
        q = scene.corners
        centre = q.mean(axis=0)
        for i in range(4):
            a, b = q[i], q[(i + 1) % 4]
            t = (b - a) / np.linalg.norm(b - a)
            n = np.array([-t[1], t[0]])
            n = n if np.dot(centre - a, n) > 0 else -n
            for s in np.linspace(0.1, 0.9, 9):
                p = a + (b - a) * s
                assert _at(mask, p + 1.5 * n) == pytest.approx(1, abs=0.02)
                assert _at(mask, p - 1.5 * n) in (None, pytest.approx(0, abs=0.02))
                assert _at(mask, p) == pytest.approx(0.5, abs=0.5)
