"""The line finding behind page detection: lines moved between search copies, the closer
look at a small page reusing the whole frame's lines, each line's profile covering the
frame, and near-identical lines counted once."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

import edge_agent.vision.page_detect as page_detect
from edge_agent.vision.page_lines import (
    _interleave,
    _oriented_source,
    candidate_lines,
    chroma,
    closer_lines,
    move_lines,
    u8,
)
from edge_agent.vision.page_score import _profiles
from simulators.doc_camera import Condition, generate_scene, jaccard


def _on_line(line: np.ndarray, point: np.ndarray) -> float:
    rho, theta = line
    return float(abs(point[0] * math.cos(theta) + point[1] * math.sin(theta) - rho))


@pytest.mark.parametrize("theta", [0.0, 0.4, 1.2, math.pi / 2, 2.5, 3.1])
def test_a_moved_line_passes_through_the_moved_points(theta: float) -> None:
    """A line on a whole-frame copy (1/3 scale) moved onto a crop's copy (offset 300, 120;
    another scale): the points it passed through, moved the same way, stay on it."""
    scale_from, scale_to = np.array([1 / 3, 1 / 3]), np.array([0.5, 0.52])
    offset = np.array([300.0, 120.0])
    rho = 150.0
    normal, along = (
        np.array([math.cos(theta), math.sin(theta)]),
        np.array([-math.sin(theta), math.cos(theta)]),
    )
    points = [rho * normal + t * along for t in (-40.0, 25.0, 90.0)]
    moved = move_lines(np.array([[rho, theta]]), scale_from, scale_to, offset)[0]
    assert moved[0] >= 0
    for p in points:
        frame = (p + 0.5) / scale_from - 0.5
        crop = (frame - offset + 0.5) * scale_to - 0.5
        assert _on_line(moved, crop) < 1e-6


def test_the_closer_look_at_a_small_page_reuses_the_whole_frame_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Edge maps and their Hough lines are found once per frame, not again for the closer
    look (which cost ~30 ms at 1080p); the small page is still found exactly."""
    calls = {"candidate": 0, "closer": 0}

    def counted(name: str, real):  # type: ignore[no-untyped-def]
        def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls[name] += 1
            return real(*args, **kwargs)

        return spy

    monkeypatch.setattr(
        page_detect, "candidate_lines", counted("candidate", page_detect.candidate_lines)
    )
    monkeypatch.setattr(page_detect, "closer_lines", counted("closer", page_detect.closer_lines))
    scene = generate_scene(700_000, Condition.SMALL_PAGE, (1920, 1080))
    found = page_detect.detect_page(scene.frame)
    assert found is not None
    assert calls == {"candidate": 1, "closer": 1}
    assert jaccard(found.corners, scene.corners, scene.page_size) > 0.95


@pytest.mark.parametrize("size", [(640, 360), (360, 640), (400, 400)])
def test_each_line_is_profiled_wherever_it_crosses_the_frame(size: tuple[int, int]) -> None:
    """The profiles are sampled only where a line crosses the frame, but there all along:
    the in-frame sample count of each line is its length inside the frame."""
    w, h = size
    lab = np.zeros((h, w, 3), np.float32)
    diag = math.atan2(w, -h)  # the normal of the main diagonal
    lines = np.array([[w / 3, 0.0], [h / 2, math.pi / 2], [0.0, diag], [w / 2, 0.3], [h / 3, 2.8]])
    lines[:, 0] = np.abs(lines[:, 0])
    prof = _profiles(lab, lines)
    for line, seen in zip(lines, prof.valid[:, -1], strict=True):
        assert seen == pytest.approx(_inside_length(line, w, h), abs=6)


def _inside_length(line: np.ndarray, w: int, h: int) -> float:
    """Length of a (rho, theta) line inside the frame, sampled finely."""
    rho, theta = line
    normal = np.array([math.cos(theta), math.sin(theta)])
    along = np.array([-normal[1], normal[0]])
    t = np.arange(-3000, 3000, 0.25)
    pts = rho * normal + t[:, None] * along
    inside = (pts[:, 0] >= 2) & (pts[:, 0] <= w - 3) & (pts[:, 1] >= 2) & (pts[:, 1] <= h - 3)
    return float(inside.sum() * 0.25)


def _same_reference(rho: float, theta: float, r2: float, t2: float) -> bool:
    """The definition: within 4° (modulo 180°) and 3 px."""
    dt = abs((theta - t2 + np.pi / 2) % np.pi - np.pi / 2)
    return bool(dt < np.radians(4) and abs(rho - r2 * np.cos(theta - t2)) < 3)


def test_near_identical_lines_are_one_candidate() -> None:
    rng = np.random.default_rng(7)
    for _ in range(300):
        first = np.array([rng.uniform(0, 300), rng.uniform(0, np.pi)])
        second = first + np.array([rng.uniform(-5, 5), rng.uniform(-0.12, 0.12)])
        second[1] = second[1] % np.pi if rng.random() < 0.5 else second[1]
        kept = _interleave([first[None, :], second[None, :]])
        r2, t2 = (-second[0], second[1] - np.pi) if second[0] < 0 else second
        expected = 1 if _same_reference(r2, t2, *first) else 2
        assert len(kept) == expected, (first, second)


def test_the_same_line_either_side_of_180_degrees_is_one_candidate() -> None:
    """A line near the frame's left edge may come as theta ≈ 0 from one source and
    theta ≈ 180° from another: one line."""
    kept = _interleave([np.array([[1.0, 0.01]]), np.array([[0.5, math.pi - 0.01]])])
    assert len(kept) == 1
    apart = _interleave([np.array([[1.0, 0.01]]), np.array([[0.5, math.pi - 0.2]])])
    assert len(apart) == 2


def test_the_closer_look_finds_faint_edges_at_its_own_scale() -> None:
    """A step in the desk beside a page (16 grey levels: desk against desk) is no paper
    blob's outline; the closer look still finds it as a line, on its own finer copy."""
    lab = np.full((400, 640, 3), 128.0, np.float32)
    lab[..., 0] = 120.0
    lab[:, 500:, 0] = 136.0
    lab[60:340, 60:380, 0] = 230.0  # the page
    chroma_map = np.zeros((400, 640), np.float32)
    lines = closer_lines(lab, chroma_map, np.zeros((0, 2)))
    vertical_at_500 = (np.abs(np.sin(lines[:, 1])) < 0.05) & (
        np.abs(np.abs(lines[:, 0]) - 499.5) < 3
    )
    assert vertical_at_500.any(), lines


def _faint_page_lightness() -> tuple[np.ndarray, np.ndarray]:
    """A search copy's lightness: paper 4 levels lighter than a desk whose light varies by
    24 levels across the frame, the step blurred over a few pixels, noise, and a block of
    dense dark 'text' on the page whose edges are 60 levels high. Returns it and the page's
    corners."""
    h, w = 360, 640
    corners = np.array([[220.0, 40.0], [450.0, 80.0], [420.0, 320.0], [180.0, 290.0]])
    page = np.zeros((h, w), np.float32)
    cv2.fillPoly(page, [np.round(corners).astype(np.int32)], 1.0)
    desk = 176.0 + 24.0 * np.linspace(0, 1, w, dtype=np.float32)[None, :]
    lightness = desk + 4.0 * page
    lightness = np.asarray(cv2.GaussianBlur(lightness, (0, 0), 1.5), np.float32)
    rng = np.random.default_rng(11)
    for y in range(90, 270, 14):  # text rows, well inside the page
        for x in range(250, 400, 12):
            if rng.random() < 0.9:
                cv2.rectangle(lightness, (x, y), (x + 8, y + 8), 130.0, -1)
    lightness += rng.normal(0, 0.7, lightness.shape).astype(np.float32)
    return np.clip(lightness, 0, 255).astype(np.uint8), corners


def _has_side(lines: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """Whether a line passes within 2 px of both ends of side a-b."""
    return any(_on_line(line, a) < 2 and _on_line(line, b) < 2 for line in lines)


def test_a_faint_page_edge_collects_the_votes_of_its_whole_length() -> None:
    """Each of the page's four sides steps by 4 levels, less than the desk's light varies
    and too little for a fixed edge threshold; the oriented source, thresholded on the
    frame's own noise, still finds all four among its lines (the text's edges step 15
    times more)."""
    lightness, corners = _faint_page_lightness()
    lines = _oriented_source([lightness], np.ones_like(lightness))
    for k in range(4):
        assert _has_side(lines, corners[k], corners[(k + 1) % 4]), k


def test_steps_the_opposite_way_along_one_line_do_not_add_up() -> None:
    """A vertical line whose upper half steps up and lower half steps down (two desks'
    patches meeting) is two short edges, not one long one: a shorter edge that steps the
    same way all along (a page's side, 250 px) outranks it."""
    lightness = np.full((360, 640), 180, np.uint8)
    lightness[:180, 320:360] = 190  # light right of x = 320 above, left of it below
    lightness[180:, 280:320] = 190
    lightness[300:, 380:630] = 200  # a horizontal step at y = 300, 250 px long
    lines = _oriented_source([lightness], np.ones_like(lightness))
    assert len(lines) >= 2
    first = lines[0]
    assert abs(math.cos(first[1])) < 0.05, lines  # horizontal
    assert _on_line(first, np.array([500.0, 299.5])) < 1.5, lines


def _tinted_page() -> tuple[np.ndarray, np.ndarray]:
    """A search copy (BGR) of a grey-white sheet on a warm desk exactly as light as it: the
    sheet is 3 units of b* (yellow-blue) cooler than the desk, as neutral (chroma ~3) and
    as light, under a light gradient and noise, with a block of dark 'text' on it (edges
    ~130 lightness levels high). Returns it and the page's corners."""
    h, w = 360, 640
    corners = np.array([[220.0, 40.0], [450.0, 80.0], [420.0, 320.0], [180.0, 290.0]])
    page = np.zeros((h, w), np.float32)
    cv2.fillPoly(page, [np.round(corners * 16).astype(np.int32)], 1.0, shift=4)
    page = np.asarray(cv2.GaussianBlur(page, (0, 0), 1.5), np.float32)
    rng = np.random.default_rng(5)
    lab = np.empty((h, w, 3), np.float32)
    lab[..., 0] = 196.0 + 16.0 * np.linspace(0, 1, w, dtype=np.float32)[None, :]
    lab[..., 1] = 128.0
    lab[..., 2] = 131.0 - 3.0 * page
    for y in range(90, 270, 14):  # text rows, well inside the page
        for x in range(250, 400, 12):
            if rng.random() < 0.9:
                cv2.rectangle(lab, (x, y), (x + 8, y + 8), (70.0, 128.0, 128.0), -1)
    lab[..., 0] += rng.normal(0, 1.0, (h, w)).astype(np.float32)
    lab[..., 2] += rng.normal(0, 0.5, (h, w)).astype(np.float32)
    bgr = cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)
    return np.asarray(bgr, np.uint8), corners


def test_a_page_side_stepping_in_tint_only_collects_votes_in_b() -> None:
    """The tinted sheet's sides step in b*, not in lightness: lightness alone votes for none
    of them, lightness and b* together find all four (each line keeps its best channel's
    votes, so the text's strong lightness edges do not crowd the b* sides out)."""
    bgr, corners = _tinted_page()
    lab = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2Lab), np.float32)
    everywhere = np.ones(lab.shape[:2], np.uint8)
    sides = [(corners[k], corners[(k + 1) % 4]) for k in range(4)]
    lightness_only = _oriented_source([lab[..., 0]], everywhere)
    assert not any(_has_side(lightness_only, a, b) for a, b in sides)
    both = _oriented_source([lab[..., 0], lab[..., 2]], everywhere)
    for k, (a, b) in enumerate(sides):
        assert _has_side(both, a, b), k


def test_a_page_side_stepping_in_tint_only_is_a_candidate_line() -> None:
    """Through the whole line finding, as page detection prepares its search copy (median,
    close): all four sides of the tinted sheet are among the candidate lines (before b*
    voted, the blobs, CLAHE and colour-edge sources found one of them)."""
    bgr, corners = _tinted_page()
    close = page_detect._CLOSE_KERNEL  # as page detection prepares its search copy
    smooth = u8(cv2.morphologyEx(cv2.medianBlur(bgr, 5), cv2.MORPH_CLOSE, close))
    lab = np.asarray(cv2.cvtColor(smooth, cv2.COLOR_BGR2Lab), np.float32)
    lines = candidate_lines(smooth, lab, chroma(lab))
    for k in range(4):
        assert _has_side(lines, corners[k], corners[(k + 1) % 4]), k
