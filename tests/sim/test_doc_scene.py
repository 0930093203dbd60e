"""The synthetic document photos: seeded, exact ground truth, every condition at both sizes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from simulators.doc_camera import HELD_OUT, TUNING, Condition, generate_scene, source_from_name
from simulators.doc_scene import glyphs
from simulators.doc_scene.lay import lay_page
from simulators.doc_scene.page import KINDS, render_page
from simulators.doc_scene.render import compose
from tests.conftest import require_or_skip

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
    """At 12 MP too, and the page covers the quad its corners span (a curl changes the area
    by under 1 %)."""
    scene, mask = compose(12, condition, MP12)
    assert scene.frame.shape == (3000, 4000, 3)
    assert (scene.corners[:, 0] <= 3999.5).all() and (scene.corners[:, 1] <= 2999.5).all()
    area = cv2.contourArea(scene.corners.astype(np.float32))
    assert float(mask.sum()) == pytest.approx(area, rel=0.012)


def _off_corner(corners: np.ndarray, i: int, d: float) -> np.ndarray:
    """The point on corner ``i``'s bisector ``d`` pixels from both its edges (``d`` < 0: out)."""
    a = corners[(i - 1) % 4] - corners[i]
    b = corners[(i + 1) % 4] - corners[i]
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    half = np.arccos(np.clip(np.dot(a, b), -1, 1)) / 2
    bis = (a + b) / np.linalg.norm(a + b)
    return np.asarray(corners[i] + bis * d / np.sin(half), np.float64)


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


def test_a_curl_bends_the_edge_outward_and_leaves_the_corners_alone() -> None:
    """A 1 % curl of the top edge of a 400 × 600 page laid 1:1: the edge's middle moves
    6 px up (0.01 × 600), its ends do not move."""
    sheet = np.full((600, 400, 3), 250, np.uint8)
    q = np.array([[99.5, 99.5], [499.5, 99.5], [499.5, 699.5], [99.5, 699.5]])
    desk = np.zeros((800, 600, 3), np.float32)
    _, flat = lay_page(desk, sheet, q, (0, 0.0, 0.2, 0.0))
    _, bent = lay_page(desk, sheet, q, (0, 0.01, 0.2, 0.0))
    assert flat[98, 300] < 0.05 and flat[101, 300] > 0.95
    assert bent[95, 300] > 0.95 and bent[92, 300] < 0.05  # 6 px bulge at the middle
    assert bent[100, 101] > 0.95 and bent[98, 101] < 0.05  # not at the corner
    assert np.array_equal(bent[300:], flat[300:])  # the curl fades out into the page


def _dark_columns(page: np.ndarray, lo: float, hi: float) -> bool:
    """Whether some column between ``lo`` and ``hi`` (shares of the width) is mostly ink."""
    grey = page.mean(axis=2)
    w = grey.shape[1]
    band = grey[int(0.2 * grey.shape[0]) : int(0.8 * grey.shape[0]), int(lo * w) : int(hi * w) + 1]
    return bool(((band < 150).mean(axis=0) > 0.6).any())


@pytest.mark.parametrize("kind", ["table", "certificate"])
def test_tables_and_frames_run_close_and_parallel_to_the_page_edge(kind: str) -> None:
    for seed in range(5):
        page = render_page(np.random.default_rng(seed), 700, 990, False, np.full(3, 240.0), kind)
        assert _dark_columns(page, 0.015, 0.065) or kind == "certificate"
        assert _dark_columns(page, 0.015, 0.12), (kind, seed)
        assert not _dark_columns(page, 0.0, 0.01), (kind, seed)  # the page edge itself is paper


def test_every_page_kind_renders_something_different() -> None:
    pages = [
        render_page(np.random.default_rng(1), 350, 495, False, np.full(3, 240.0), k) for k in KINDS
    ]
    for page in pages:
        assert page.shape == (495, 350, 3) and (page < 120).mean() > 0.005  # ink on it
    assert len({p.tobytes() for p in pages}) == len(KINDS)


def test_real_chinese_glyphs_when_a_cjk_font_is_installed() -> None:
    if glyphs.cjk_font() is None:
        require_or_skip("a CJK font (apt-get install fonts-wqy-microhei)")
    bank = glyphs.glyph_bank(32)
    assert len(bank) == len(glyphs.CHARS)
    zhong = bank[glyphs.CHARS.index("中")]
    assert zhong.shape == (32, 32) and zhong.max() > 0.9
    mirror = np.corrcoef(zhong.ravel(), zhong[:, ::-1].ravel())[0, 1]
    assert mirror > 0.6  # 中 is (nearly) mirror-symmetric
    yi = bank[glyphs.CHARS.index("一")]
    assert (yi.max(axis=1) > 0.5).sum() <= 8  # 一 is one horizontal stroke


def test_stroke_glyphs_stand_in_without_a_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(glyphs, "_FONT_PATHS", ())
    monkeypatch.delenv("KFLEET_CJK_FONT", raising=False)
    glyphs._bank.cache_clear()
    try:
        assert glyphs.cjk_font() is None
        bank = glyphs.glyph_bank(32)
        assert len(bank) == 64 and all(g.max() > 0.5 for g in bank)
        scene = generate_scene(3, Condition.PLAIN_DESK, (640, 360))
        assert scene.frame.shape == (360, 640, 3)
    finally:
        glyphs._bank.cache_clear()


def test_every_condition_draws_from_every_page_kind() -> None:
    """Page content is not tied to a condition: 40 small plain frames show all seven kinds."""
    kinds = {generate_scene(s, Condition.SHADOW, (320, 180)).kind for s in range(40)}
    assert kinds == set(KINDS)
