"""The benchmark's reading of whether a page's outline is in the pixels at all
(``benchmarks.doc_rectify_sides``) and what it counts as asked and unseen.

Frames are drawn here with OpenCV: the steps across the sides are known exactly."""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from benchmarks.doc_rectify_run import Frame
from benchmarks.doc_rectify_sides import UNSEEN_STEP, weakest_side_step
from simulators.doc_scene import Condition

W, H = 1920, 1080  # the offsets either side of a side are set at 1080p
PAGE = np.array([[600.0, 200.0], [1240.0, 260.0], [1200.0, 940.0], [560.0, 880.0]])


def _frame(desk: float, page: float, noise: float = 2.0) -> npt.NDArray[np.uint8]:
    img = np.full((H, W, 3), desk, np.float32)
    cv2.fillConvexPoly(img, np.round(PAGE).astype(np.int32), (page, page, page))
    img += np.random.default_rng(3).normal(0, noise, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("step", [3.0, 8.0, -5.0])
def test_a_page_whose_sides_all_step_reads_that_step(step: float) -> None:
    measured = weakest_side_step(_frame(230.0, 230.0 + step), PAGE)
    assert measured == pytest.approx(abs(step), abs=0.6)


def test_a_side_clipped_at_white_on_both_sides_is_unseen() -> None:
    """Paper at 255 whose left side lies against a desk also at 255: no edge there."""
    img = _frame(235.0, 255.0, noise=0.0)
    img[:, :580] = 255  # the desk left of the page's left side, clipped like the paper
    measured = weakest_side_step(img, PAGE)
    assert measured < UNSEEN_STEP
    assert weakest_side_step(_frame(235.0, 255.0, noise=0.0), PAGE) > 15


def test_sides_outside_the_frame_are_left_out() -> None:
    """A page running off the frame's left edge: only the sides in the frame count."""
    off = PAGE - [700.0, 0.0]  # the left side at x = -140..-100
    img = np.full((H, W, 3), 200, np.uint8)
    cv2.fillConvexPoly(img, np.round(off).astype(np.int32), (250, 250, 250))
    assert weakest_side_step(img, off) == pytest.approx(50, abs=1)
    assert math.isnan(weakest_side_step(img, off - [4000.0, 0.0]))  # nothing in the frame


def _scored(confidence: float, side_step: float = 10.0) -> Frame:
    return Frame(Condition.FAINT, 1, 0.95, confidence, 1.0, 1.0, 1.0, "form", side_step)


def test_asked_is_a_confidence_below_the_kiosks_threshold_or_no_page() -> None:
    assert _scored(0.49).asked
    assert not _scored(0.5).asked
    assert _scored(math.nan).asked  # missed: the kiosk shows the whole frame to adjust
    assert _scored(0.9, side_step=0.4).unseen
    assert not _scored(0.9, side_step=1.0).unseen
    assert not _scored(0.9, side_step=math.nan).unseen  # not measured is not unseen
