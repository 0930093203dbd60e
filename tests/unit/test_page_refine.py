"""The full-resolution refit of a page's sides (``edge_agent.vision.page_refine``) on a small
page whose print reaches close to its edges: the refit must land on the page's own faint
edge, not on the much stronger edge of what is printed a few pixels inside it.

The frames are drawn here (eight times oversampled, then averaged down, so the page's edges
sit at exact sub-pixel positions); the coarse quad handed to the refit is the truth moved by
up to 1.5 px, as the search stage leaves it.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from edge_agent.vision.page_refine import refine
from edge_agent.vision.rectify import order_corners

F64 = npt.NDArray[np.float64]
OVER = 8
SIZE = 320
TRUTH = np.array([[90.0, 70.0], [232.0, 82.0], [222.0, 262.0], [78.0, 250.0]])


def _frame(
    inner: F64, paper: float, ink: float, desk: float, line: int = 0
) -> npt.NDArray[np.uint8]:
    """A page (``TRUTH``) of grey ``paper`` on a ``desk``, with ``ink`` (a printed photo, a
    certificate's band) filling ``inner``, or only its outline ``line`` px wide (a table)."""
    big = np.full((SIZE * OVER, SIZE * OVER, 3), desk, np.float32)
    page = np.round((TRUTH + 0.5) * OVER - 0.5).astype(np.int32)
    cv2.fillConvexPoly(big, page, (paper, paper, paper))
    pts = np.round((inner + 0.5) * OVER - 0.5).astype(np.int32)
    if line:
        cv2.polylines(big, [pts], True, (ink, ink, ink), line * OVER)
    else:
        cv2.fillConvexPoly(big, pts, (ink, ink, ink))
    small = cv2.resize(big, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    blurred = np.asarray(cv2.GaussianBlur(small, (0, 0), 0.7), np.float32)
    blurred += np.random.default_rng(2).normal(0, 1.5, blurred.shape).astype(np.float32)
    out: npt.NDArray[np.uint8] = np.clip(blurred, 0, 255).astype(np.uint8)
    return out


def _inset(quad: F64, share: float) -> F64:
    """``quad`` shrunk towards its centre by ``share`` of its size."""
    centre = quad.mean(axis=0)
    out: F64 = centre + (quad - centre) * (1 - share)
    return out


@pytest.mark.parametrize(
    ("inner_share", "paper", "ink", "desk", "line"),
    [
        (0.08, 236.0, 80.0, 214.0, 0),  # a dark photo 6 px inside a faint page
        (0.09, 226.0, 200.0, 238.0, 0),  # a grey band inside a page darker than a white desk
        (0.05, 236.0, 90.0, 170.0, 1),  # a table's border 3-4 px inside, stepping more
    ],
    ids=["photo-faint-page", "band-white-desk", "table-border"],
)
def test_the_refit_lands_on_the_page_edge_not_on_the_print_inside(
    inner_share: float, paper: float, ink: float, desk: float, line: int
) -> None:
    frame = _frame(_inset(TRUTH, inner_share), paper, ink, desk, line)
    truth = order_corners(TRUTH)
    coarse = truth + np.array([[1.5, -1.0], [-1.2, 1.5], [1.0, -1.5], [-1.5, 1.0]])
    full = coarse
    for radius in (4.0, 3.0):  # as the detector calls it at this scale
        refined = refine(frame, full, radius)
        assert refined is not None
        full, fit = refined
    error = np.hypot(*(order_corners(full) - truth).T)
    assert error.max() < 1.0, f"corners off by {np.round(error, 2)} px"
    assert fit > 0.9
