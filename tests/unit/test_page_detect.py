"""Page detection, rectification and encoding on seeded synthetic document-camera frames."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from edge_agent.vision.page_detect import PageQuad, detect_page, order_corners
from edge_agent.vision.rectify import (
    RectifyOptions,
    encode_jpeg,
    estimate_aspect,
    make_pdf,
    rectify,
    skew_angle,
)
from simulators.doc_camera import TUNING, Condition, generate, generate_scene, jaccard

SIZE = (1280, 720)  # smaller than the benchmark's 1080p to keep the suite fast


@pytest.mark.parametrize("seed", [11, 12])
@pytest.mark.parametrize("condition", TUNING)  # the held-out ones are scored, never tuned on
def test_page_found_under_every_condition(condition: Condition, seed: int) -> None:
    scene = generate_scene(seed, condition, SIZE)
    found = detect_page(scene.frame)
    assert found is not None, f"{condition}: no page found"
    assert 0.0 <= found.confidence <= 1.0
    assert found.corners.shape == (4, 2)
    # right, or flagged: below the camera's threshold the kiosk asks for the corners
    ji = jaccard(found.corners, scene.corners, scene.page_size)
    assert ji >= 0.9 or found.confidence < 0.3, f"{condition}: JI {ji:.3f} at {found.confidence}"


def test_generate_is_seeded_and_returns_frame_and_corners() -> None:
    frame, corners = generate(5, "hand", SIZE)
    again, corners2 = generate(5, Condition.HAND, SIZE)
    assert frame.shape == (720, 1280, 3) and frame.dtype == np.uint8
    assert np.array_equal(frame, again) and np.array_equal(corners, corners2)
    assert not np.array_equal(frame, generate(6, "hand", SIZE)[0])


def _noise(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (720, 1280, 3), dtype=np.uint8)


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((720, 1280, 3), np.uint8),
        np.full((1080, 1920, 3), 255, np.uint8),
        np.full((480, 640), 128, np.uint8),
        _noise(1),
        np.clip(128 + np.random.default_rng(2).normal(0, 40, (720, 1280)), 0, 255).astype(np.uint8),
        np.zeros((4, 4, 3), np.uint8),
        np.zeros((0, 0, 3), np.uint8),
        np.full((100, 100, 3), np.nan),
        np.zeros((100, 100, 5), np.uint8),
        "not an image",
        None,
    ],
    ids=[
        "black",
        "white",
        "grey",
        "noise",
        "grey-noise",
        "tiny",
        "empty",
        "nan",
        "5ch",
        "str",
        "none",
    ],
)
def test_nothing_page_like_is_none(image: object) -> None:
    assert detect_page(image) is None


def test_corners_are_ordered_tl_tr_br_bl() -> None:
    rect = np.array([[100, 50], [400, 80], [380, 500], [90, 470]], float)  # TL TR BR BL
    for k in range(4):
        for pts in (np.roll(rect, k, axis=0), np.roll(rect[::-1], k, axis=0)):
            assert np.array_equal(order_corners(pts), rect)
    # turned 35° clockwise: TL is no longer the corner with the smallest x + y
    centre, angle = np.array([640.0, 360.0]), np.radians(35)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    page = np.array([[-100, -140], [100, -140], [100, 140], [-100, 140]], float)
    turned = page @ rot.T + centre
    assert np.allclose(order_corners(turned[[2, 0, 3, 1]]), turned)


def test_detected_corners_follow_the_page_orientation() -> None:
    scene = generate_scene(3, Condition.PLAIN_DESK, SIZE)
    found = detect_page(scene.frame)
    assert isinstance(found, PageQuad)
    assert np.abs(found.corners - scene.corners).max() < 3.0  # same corner, same order


def test_rectified_page_is_a4_and_jpeg_decodes() -> None:
    scene = generate_scene(4, Condition.UNEVEN_LIGHT, SIZE)
    page = rectify(scene.frame, scene.corners, RectifyOptions(crop=0.0, trim_desk=False))
    h, w = page.shape[:2]
    ratio = max(h, w) / min(h, w)
    assert abs(ratio - 297 / 210) < 0.01
    jpeg = encode_jpeg(page, quality=80)
    assert jpeg[:3] == b"\xff\xd8\xff"
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None and decoded.shape == page.shape
    # flattened lighting: blank paper is nearly uniform although the lamp was to one side
    grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    paper = [np.percentile(q, 90) for q in (grey[: h // 2, : w // 2], grey[h // 2 :, w // 2 :])]
    assert abs(paper[0] - paper[1]) < 12 and min(paper) > 200


def test_document_mode_is_binary_grey() -> None:
    scene = generate_scene(8, Condition.SHADOW, SIZE)
    page = rectify(scene.frame, scene.corners, RectifyOptions(mode="document"))
    assert page.ndim == 2 and set(np.unique(page)) <= {0, 255}
    assert 0.01 < (page == 0).mean() < 0.4


def test_aspect_is_estimated_from_perspective() -> None:
    for seed in range(5):
        scene = generate_scene(seed, Condition.PLAIN_DESK, SIZE)
        true = scene.page_size[0] / scene.page_size[1]
        assert estimate_aspect(scene.corners, *SIZE) == pytest.approx(true, rel=0.01)


def test_skew_of_printed_lines_is_measured() -> None:
    scene = generate_scene(9, Condition.PLAIN_DESK, SIZE)
    page = rectify(scene.frame, scene.corners, RectifyOptions(deskew=False))
    h, w = page.shape[:2]
    rot = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), 2.0, 1.0)
    tilted = np.asarray(
        cv2.warpAffine(page, rot, (w, h), borderMode=cv2.BORDER_REPLICATE), np.uint8
    )
    assert skew_angle(tilted) == pytest.approx(-2.0, abs=0.3)


def test_pdf_is_well_formed_with_exact_xref() -> None:
    page = np.full((700, 500, 3), 240, np.uint8)
    jpeg = encode_jpeg(page, quality=70)
    pdf = make_pdf(jpeg, 500, 700, title="scan (1)")
    assert pdf.startswith(b"%PDF-1.")
    assert pdf.rstrip().endswith(b"%%EOF")
    start = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", pdf).group(1))  # type: ignore[union-attr]
    assert pdf[start : start + 4] == b"xref"
    header = re.match(rb"xref\s+0 (\d+)\s*\n", pdf[start:])
    assert header is not None
    count = int(header.group(1))
    table = pdf[start + header.end() : start + header.end() + 20 * count]
    entries = [table[i : i + 20] for i in range(0, len(table), 20)]
    assert entries[0] == b"0000000000 65535 f \n"
    for number, entry in enumerate(entries[1:], start=1):
        assert re.fullmatch(rb"\d{10} 00000 n \n", entry), entry
        offset = int(entry[:10])
        assert pdf[offset:].startswith(b"%d 0 obj" % number)
    trailer = pdf[start + header.end() + 20 * count :]
    assert trailer.startswith(b"trailer") and b"/Size %d" % count in trailer
    assert jpeg in pdf and b"/DCTDecode" in pdf and b"/Width 500 /Height 700" in pdf
    assert b"/MediaBox [0 0 595.276 841.890]" in pdf
    assert b"(scan \\(1\\))" in pdf
    landscape = make_pdf(jpeg, 700, 500, grey=True)
    assert b"/MediaBox [0 0 841.890 595.276]" in landscape and b"/DeviceGray" in landscape


def test_desk_strip_is_trimmed_on_a_large_page() -> None:
    """Where to crop is measured on a shrunk copy: at 12 MP page sizes the strip of desk
    left along an edge (here 50 px, 2 %) must still come off the full-size page."""
    h, w = 3000, 2121
    frame = np.full((h, w, 3), 235, np.uint8)
    frame[:, :50] = 60  # desk along the left edge
    frame[1000:1010, 300:1800] = 30  # a printed line
    corners = [[0, 0], [w, 0], [w, h], [0, h]]
    page = rectify(frame, corners, RectifyOptions(deskew=False, flatten=False))
    assert page.shape[0] > 0.97 * h
    assert page[:, :3].min() > 200  # no desk left on the left
    assert w - page.shape[1] < 50 + 0.02 * w  # and not much paper cut off


def test_a_strip_of_desk_along_the_frame_border_is_not_the_page() -> None:
    """A page and a phone on a striped green desk (generator, a tuning condition): the quad
    of two stripes, the page's left edge and the frame's right border (where no step can be
    seen) once won; a side cut by the frame is believed only if paper reaches it."""
    scene = generate_scene(700_002, Condition.OVERLAP, (1920, 1080))
    found = detect_page(scene.frame)
    assert found is not None
    assert jaccard(found.corners, scene.corners, scene.page_size) > 0.7
    assert found.confidence < 0.5  # the phone still hides a corner: the citizen checks


def test_a_photo_taken_for_an_unseen_faint_page_is_flagged() -> None:
    """A small page with photos on a white desk 3-8 % from the paper (generator, a tuning
    condition): the page's own edges are all but invisible, the photo block wins, and was
    once reported with confidence 0.99. A margin that is nearly all colour is not paper."""
    scene = generate_scene(700_008, Condition.FAINT, (1920, 1080))
    found = detect_page(scene.frame)
    assert found is not None
    if jaccard(found.corners, scene.corners, scene.page_size) < 0.9:
        assert found.confidence < 0.5
