"""Page detection on the failure modes an independent evaluation found: the page, not what is
printed on it; faint and shadowed edges; and a confidence that is low when the frame is
ambiguous (the kiosk then asks the citizen to drag the corners).

Each frame is drawn here with OpenCV (a page warped onto a desk by a known homography), so
the truth is exact and the case is exactly the one named, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from edge_agent.vision.page_detect import detect_page
from simulators.doc_scene.metric import jaccard

Img = npt.NDArray[np.float32]
SIZE = (1280, 720)
PAGE = (420, 594)  # A4 at 2 px/mm
TRUTH = np.array([[470.0, 130.0], [790.0, 150.0], [805.0, 600.0], [455.0, 585.0]])


def _sheet(paint: Callable[[Img], None] | None = None, paper: float = 236.0) -> Img:
    """A4 paper with a few lines of 'text' (short dark strokes) and whatever ``paint`` adds."""
    w, h = PAGE
    sheet = np.full((h, w, 3), paper, np.float32)
    rng = np.random.default_rng(3)
    for y in range(60, h - 60, 22):
        for x in range(40, w - 60, 14):
            if rng.random() < 0.8:
                cv2.rectangle(sheet, (x, y), (x + 9, y + 10), (60, 60, 60), 1)
    if paint is not None:
        paint(sheet)
    return sheet


def _frame(
    sheet: Img,
    desk: float,
    *,
    truth: npt.NDArray[np.float64] = TRUTH,
    light: Img | None = None,
    seed: int = 0,
) -> npt.NDArray[np.uint8]:
    """``sheet`` warped to ``truth`` on a flat desk of grey ``desk``, lit, blurred, noisy."""
    w, h = PAGE
    src = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]], np.float32)
    hom = cv2.getPerspectiveTransform(src, truth.astype(np.float32))
    warped = cv2.warpPerspective(sheet, hom, SIZE, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), hom, SIZE)[..., None]
    scene = np.full((SIZE[1], SIZE[0], 3), desk, np.float32) * (1 - mask) + warped * mask
    if light is not None:
        scene *= light[..., None]
    scene = np.asarray(cv2.GaussianBlur(scene, (0, 0), 0.8), np.float32)
    scene += np.random.default_rng(seed).normal(0, 2.0, scene.shape).astype(np.float32)
    out: npt.NDArray[np.uint8] = np.clip(scene, 0, 255).astype(np.uint8)
    return out


def _ji(frame: npt.NDArray[np.uint8], truth: npt.NDArray[np.float64] = TRUTH) -> float:
    found = detect_page(frame)
    assert found is not None, "no page found"
    return jaccard(found.corners, truth, PAGE)


def _photo_near_top(sheet: Img) -> None:
    """A dark grey printed photo 3 % of the page width below the top edge, full width, so
    that below it the page's lower part is itself a perfect A4 (landscape) of paper."""
    cv2.rectangle(sheet, (14, 14), (PAGE[0] - 14, PAGE[1] - 298), (85, 85, 85), -1)
    cv2.circle(sheet, (200, 120), 60, (130, 130, 130), -1)


def test_inner_photo_near_the_edge_on_a_light_desk_is_not_the_page() -> None:
    """White paper on a light desk (8 % darker): the photo's edges are far stronger than the
    page's, and the quad of the photo plus the page's lower half is a fine rectangle."""
    assert _ji(_frame(_sheet(_photo_near_top), desk=217.0)) > 0.95


def test_table_border_parallel_to_the_page_edge_is_not_the_page() -> None:
    """A table 4 % inside the page on every side, with a dark header row and a dark total
    row: its outline is a perfect inner rectangle with much stronger edges than the page's."""

    def table(sheet: Img) -> None:
        w, h = PAGE
        cv2.rectangle(sheet, (17, 17), (w - 17, h - 17), (25, 25, 25), 5)
        cv2.rectangle(sheet, (17, 17), (w - 17, 50), (60, 60, 60), -1)
        cv2.rectangle(sheet, (17, h - 50), (w - 17, h - 17), (60, 60, 60), -1)
        for y in range(80, h - 40, 60):
            cv2.line(sheet, (17, y), (w - 17, y), (25, 25, 25), 3)

    assert _ji(_frame(_sheet(table), desk=214.0)) > 0.95


def test_shadowed_faint_edge_is_found() -> None:
    """Paper 6 % brighter than the desk, and a soft shadow (45 % darker) over its right half:
    there the page edge is a step of a few grey levels."""
    xs = np.arange(SIZE[0], dtype=np.float32)
    ramp = 1 - 0.45 / (1 + np.exp(-(xs - 700) / 25))
    light = np.broadcast_to(ramp, (SIZE[1], SIZE[0])).astype(np.float32)
    assert _ji(_frame(_sheet(), desk=222.0, light=light)) > 0.95


def test_three_page_edges_and_one_inner_line_lose_to_the_four_page_edges() -> None:
    """A bold dark band across the page 6 % above its bottom edge (a form's footer)."""

    def footer(sheet: Img) -> None:
        y = PAGE[1] - 66
        cv2.rectangle(sheet, (0, y), (PAGE[0] - 1, y + 30), (20, 20, 20), -1)

    assert _ji(_frame(_sheet(footer), desk=205.0)) > 0.95


def test_clear_page_is_found_with_high_confidence() -> None:
    found = detect_page(_frame(_sheet(), desk=90.0))
    assert found is not None
    assert jaccard(found.corners, TRUTH, PAGE) > 0.97
    assert found.confidence >= 0.8


def test_two_equal_pages_side_by_side_give_low_confidence() -> None:
    """Two identical sheets: whichever is picked, the other is as good an answer."""
    left, right_truth = TRUTH - np.array([330.0, 0.0]), TRUTH + np.array([120.0, 0.0])
    frame = _frame(_sheet(), desk=90.0, truth=left)
    right = _frame(_sheet(), desk=90.0, truth=right_truth, seed=1)
    frame = np.where(right > 150, right, frame)  # the right page laid on the same desk
    found = detect_page(frame)
    assert found is not None
    best = max(jaccard(found.corners, t, PAGE) for t in (left, right_truth))
    assert best > 0.9  # one of them, not a quad spanning both
    assert found.confidence < 0.3


def test_half_of_a_side_under_a_hand_gives_low_confidence() -> None:
    """A skin-coloured blob over the middle half of the right side: the quad may well be
    right, but half a side is a guess, and the citizen should check it."""
    frame = _frame(_sheet(), desk=90.0)
    top, bottom = TRUTH[1], TRUTH[2]
    middle, length = (top + bottom) / 2, float(np.linalg.norm(bottom - top))
    centre = (int(middle[0]) + 60, int(middle[1]))
    cv2.ellipse(frame, centre, (110, int(length / 4)), 0, 0, 360, (120, 160, 210), -1)
    found = detect_page(frame)
    assert found is not None
    assert found.confidence < 0.3


def test_page_cut_by_the_frame_edge_is_found_and_flagged() -> None:
    """The page's right side lies on the frame's border: its step cannot be seen, yet the
    page is the answer (as the corner-adjust screen will show it), with a low confidence."""
    right = SIZE[0] - 1.0
    truth = np.array([[900.0, 120.0], [right, 110.0], [right, 640.0], [905.0, 650.0]])
    found = detect_page(_frame(_sheet(), desk=90.0, truth=truth))
    assert found is not None
    assert jaccard(found.corners, truth, PAGE) > 0.95
    assert found.confidence < 0.5


def test_small_page_with_a_photo_on_a_light_desk_is_the_page_not_the_photo() -> None:
    """A page 3 % of the frame, a colour photo over its lower 65 %, on a desk 15 % darker:
    on the whole-frame search copy the page is 60 px wide and the photo's edges win; looked
    at again from closer, the page's own edges are seen."""

    def photo(sheet: Img) -> None:
        w, h = PAGE
        cv2.rectangle(sheet, (25, int(0.35 * h)), (w - 25, h - 25), (90, 120, 60), -1)
        cv2.circle(sheet, (200, int(0.6 * h)), 70, (40, 60, 160), -1)

    s = 0.22
    truth = np.array(
        [[700, 300], [700 + 420 * s, 310], [692 + 420 * s, 310 + 594 * s], [692, 300 + 594 * s]]
    )
    assert _ji(_frame(_sheet(photo), desk=200.0, truth=truth), truth) > 0.9


@pytest.mark.parametrize(
    "junk",
    [
        np.full((720, 1280, 3), np.inf),
        np.full((720, 1280, 3), -np.inf),
        np.ones((720, 1280), bool),
        np.zeros((1, 5000, 3), np.uint8),
        np.zeros((5000, 40, 3), np.uint8),
        np.random.default_rng(4).random((480, 640, 3)),  # floats in 0..1
        np.random.default_rng(5).integers(0, 65535, (480, 640, 3), dtype=np.uint16),
        np.zeros((480, 640, 3), np.uint8)[::-1, ::2],  # a non-contiguous view
        np.zeros((480, 640, 3), complex),
        np.zeros((2, 480, 640, 3), np.uint8),
        [[1, 2], [3, 4]],
        b"\xff\xd8\xff",
    ],
    ids=[
        "inf",
        "minus-inf",
        "bool",
        "one-row",
        "sliver",
        "float01",
        "uint16",
        "view",
        "complex",
        "4d",
        "list",
        "bytes",
    ],
)
def test_junk_never_raises(junk: object) -> None:
    found = detect_page(junk)
    assert found is None or (found.corners.shape == (4, 2) and 0 <= found.confidence <= 1)


def test_a_faint_page_with_an_id_copy_beside_a_lamps_bright_band_is_the_page() -> None:
    """Paper 6 % lighter than the desk, a dark ID copy printed on it (far stronger edges),
    and a lamp's bright band starting just right of the page (there the desk is lighter
    than the paper): the page is the pick, not the ID copy, nor the page plus the strip of
    desk up to the band's edge (which a containment rule preferring larger paper quads
    whatever the pick's own sides picked on frames like this one)."""

    def id_copy(sheet: Img) -> None:
        cv2.rectangle(sheet, (60, 120), (360, 310), (75, 78, 82), -1)
        cv2.rectangle(sheet, (90, 150), (170, 250), (200, 200, 200), -1)

    xs = np.arange(SIZE[0], dtype=np.float32)
    band = 1.1 + 0.1 * np.tanh((xs - 835) / 12)
    light = np.broadcast_to(band, (SIZE[1], SIZE[0])).astype(np.float32)
    assert _ji(_frame(_sheet(id_copy, paper=212.0), desk=200.0, light=light)) > 0.95
