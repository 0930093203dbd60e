"""Which ranked quad is the page when the best-scoring one is ambiguous (``page_pick``).

A large quad cut out of a plaid cloth outscores a small page on size; its rivals (the same
quad shifted by one period of the cloth) give it away, and the page, seen whole on all
four sides, is picked instead. The frames are drawn here with OpenCV, so the truth is exact.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from edge_agent.vision.page_detect import detect_page
from edge_agent.vision.page_pick import outermost, unambiguous
from edge_agent.vision.page_score import Ranked
from simulators.doc_scene import Condition, generate_scene
from simulators.doc_scene.metric import jaccard

SIZE = (1280, 720)
PAGE = (210, 297)  # A4 at 1 px/mm


def _plaid(period: int = 44, band: int = 12) -> npt.NDArray[np.float32]:
    """A checked cloth: purple squares between teal bands, turned a little."""
    w, h = SIZE
    big = np.zeros((2 * h, 2 * w, 3), np.float32)
    big[:] = (150, 150, 95)  # teal bands (BGR)
    for y in range(0, 2 * h, period):
        for x in range(0, 2 * w, period):
            cv2.rectangle(
                big, (x + band, y + band), (x + period - 1, y + period - 1), (150, 90, 130), -1
            )
    turn = cv2.getRotationMatrix2D((w, h), 7.0, 1.0)
    turned = cv2.warpAffine(big, turn, (2 * w, 2 * h), flags=cv2.INTER_LINEAR)
    return np.ascontiguousarray(turned[h // 2 : h // 2 + h, w // 2 : w // 2 + w])


def _page_on(
    desk: npt.NDArray[np.float32], truth: npt.NDArray[np.float64]
) -> npt.NDArray[np.uint8]:
    """A white page with lines of 'text' warped onto ``desk`` at ``truth``, blurred, noisy."""
    w, h = PAGE
    sheet = np.full((h, w, 3), 236.0, np.float32)
    for y in range(30, h - 30, 12):
        cv2.line(sheet, (20, y), (w - 20 - (y * 7) % 50, y), (70, 70, 70), 2)
    src = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]], np.float32)
    hom = cv2.getPerspectiveTransform(src, truth.astype(np.float32))
    warped = cv2.warpPerspective(sheet, hom, SIZE, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), hom, SIZE)[..., None]
    scene = desk * (1 - mask) + warped * mask
    scene = np.asarray(cv2.GaussianBlur(scene, (0, 0), 0.8), np.float32)
    scene += np.random.default_rng(1).normal(0, 2.0, scene.shape).astype(np.float32)
    out: npt.NDArray[np.uint8] = np.clip(scene, 0, 255).astype(np.uint8)
    return out


def test_a_small_page_on_a_plaid_cloth_is_the_page_not_a_square_of_the_cloth() -> None:
    truth = np.array([[560.0, 260.0], [660.0, 250.0], [672.0, 392.0], [571.0, 401.0]])
    frame = _page_on(_plaid(), truth)
    found = detect_page(frame)
    assert found is not None
    assert jaccard(found.corners, truth, (210.0, 297.0)) > 0.9


@pytest.mark.parametrize("seed", [700_011, 800_010, 900_016])
def test_small_pages_on_checked_cloths_of_the_generator_are_found(seed: int) -> None:
    """Development frames (seeds 7-9) where a large quad of the cloth won on size."""
    scene = generate_scene(seed, Condition.SMALL_PAGE, (1920, 1080))
    found = detect_page(scene.frame)
    assert found is not None
    assert jaccard(found.corners, scene.corners, scene.page_size) > 0.9


def _quad(x: float, y: float, w: float, h: float) -> npt.NDArray[np.float64]:
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float64)


def _ranked(rows: list[tuple[npt.NDArray[np.float64], float, float, float, float]]) -> Ranked:
    """Quads with (score, weakest side's support, margin, margin lightness)."""
    return Ranked(
        corners=np.stack([q for q, *_ in rows]),
        scores=np.array([r[1] for r in rows]),
        support=np.array([[r[2]] * 4 for r in rows]),
        contrast=np.ones((len(rows), 4)),
        margin=np.array([r[3] for r in rows]),
        light=np.array([r[4] for r in rows]),
    )


PATTERN = _quad(20, 20, 400, 300)  # a large quad of a cloth: sides 85 % seen, colour margin
SHIFTED = _quad(108, 20, 400, 300)  # the same, one period along: its rival
SMALL = 0.06 * 640 * 360


def test_an_ambiguous_large_pick_gives_way_to_a_clean_page_elsewhere() -> None:
    page = _quad(500, 200, 60, 85)
    ranked = _ranked(
        [
            (PATTERN, 1.0, 0.85, 0.3, 150),
            (SHIFTED, 0.95, 0.85, 0.3, 150),
            (page, 0.4, 1.0, 1.0, 230),
        ]
    )
    picked = unambiguous(ranked, SMALL)
    assert np.array_equal(picked.corners[0], page)
    assert len(picked.scores) == 3  # nothing lost, only reordered


def test_a_clean_page_inside_a_pattern_quad_is_picked() -> None:
    page = _quad(150, 100, 60, 85)  # nested in PATTERN, whose sides are not seen whole
    ranked = _ranked(
        [
            (PATTERN, 1.0, 0.8, 0.25, 150),
            (SHIFTED, 0.95, 0.8, 0.25, 150),
            (page, 0.3, 1.0, 1.0, 230),
        ]
    )
    assert np.array_equal(unambiguous(ranked, SMALL).corners[0], page)


def test_what_is_printed_inside_a_page_like_pick_never_replaces_it() -> None:
    page = _quad(20, 20, 400, 300)  # sides seen, paper margin, but a rival elsewhere
    block = _quad(150, 100, 60, 85)  # a clean white block printed on it
    ranked = _ranked(
        [(page, 1.0, 0.95, 0.6, 220), (SHIFTED, 0.9, 0.9, 0.6, 220), (block, 0.4, 1.0, 1.0, 235)]
    )
    assert np.array_equal(unambiguous(ranked, SMALL).corners[0], page)


def test_a_dark_neutral_quad_is_not_paper() -> None:
    phone = _quad(500, 200, 60, 120)  # a phone's screen: sides seen, neutral, dark
    ranked = _ranked(
        [
            (PATTERN, 1.0, 0.85, 0.3, 150),
            (SHIFTED, 0.95, 0.85, 0.3, 150),
            (phone, 0.5, 1.0, 1.0, 40),
        ]
    )
    assert np.array_equal(unambiguous(ranked, SMALL).corners[0], PATTERN)


def test_an_unambiguous_or_small_pick_stays() -> None:
    page = _quad(500, 200, 60, 85)
    alone = _ranked([(PATTERN, 1.0, 0.85, 0.3, 150), (page, 0.4, 1.0, 1.0, 230)])
    assert np.array_equal(unambiguous(alone, SMALL).corners[0], PATTERN)  # no rival
    photo = _quad(100, 100, 80, 100)  # small: the closer look decides, not this
    twin = _quad(110, 100, 80, 100)
    ranked = _ranked(
        [(photo, 1.0, 0.9, 0.3, 150), (twin, 0.95, 0.9, 0.3, 150), (page, 0.5, 1.0, 1.0, 230)]
    )
    assert np.array_equal(unambiguous(ranked, SMALL).corners[0], photo)


def test_a_clean_photo_printed_on_a_faint_page_does_not_replace_it() -> None:
    """A faint page (its weakest side stepping along 75 % of its length, a light paper
    margin) with a rival elsewhere: the clean photo nested in it is what is printed on it."""
    page = _quad(20, 20, 400, 300)
    photo = _quad(150, 100, 120, 85)
    ranked = _ranked(
        [(page, 1.0, 0.75, 0.8, 160), (SHIFTED, 0.9, 0.75, 0.8, 160), (photo, 0.4, 1.0, 1.0, 165)]
    )
    assert np.array_equal(unambiguous(ranked, SMALL).corners[0], page)


OUTER = _quad(20, 20, 400, 300)  # a faint page: all four sides seen whole, paper margin
PART = _quad(40, 30, 250, 270)  # inside it: the page's edges and a line of text


def test_part_of_a_faint_page_gives_way_to_the_page_seen_whole_around_it() -> None:
    ranked = _ranked([(PART, 1.0, 0.6, 1.0, 220), (OUTER, 0.45, 0.97, 1.0, 215)])
    assert np.array_equal(outermost(ranked).corners[0], OUTER)


@pytest.mark.parametrize(
    ("part", "outer"),
    [
        ((1.0, 0.9, 1.0, 220), (0.45, 0.97, 1.0, 215)),  # every side of the pick steps
        ((1.0, 0.6, 1.0, 220), (0.45, 0.97, 0.5, 215)),  # the outer margin is a cloth's
        ((1.0, 0.6, 1.0, 220), (0.45, 0.9, 1.0, 215)),  # an outer side not seen whole
        ((1.0, 0.6, 1.0, 220), (0.3, 0.97, 1.0, 215)),  # the outer scores far less
    ],
)
def test_the_pick_stays_unless_a_whole_paper_quad_contains_it(
    part: tuple[float, float, float, float], outer: tuple[float, float, float, float]
) -> None:
    ranked = _ranked([(PART, *part), (OUTER, *outer)])
    assert np.array_equal(outermost(ranked).corners[0], PART)
