"""Checking the four corners a citizen sends back, in the preview's pixels.

The screen speaks in *preview* pixels with edges at 0 and the preview's width/height (what a
browser's box model gives); the camera speaks in *frame* pixel centres (the frame spans
-0.5 .. w-0.5). :func:`to_preview` and :func:`to_frame` convert. A quad that cannot be a
page (not four points, off the photo, crossed or bent inwards, or a sliver) is refused with
a sentence that says what to do, and the review stays open for a better answer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from edge_agent.jobs.corner_review import Corners

#: a corner may lie this far (preview pixels) outside the photo: a finger is not a mouse
SLACK_PX = 2.0
#: the page must cover at least this fraction of the photo
MIN_AREA = 0.01
#: and each side be at least this fraction of the photo's short side
MIN_SIDE = 0.02


class BadCorners(ValueError):
    """The corners cannot be used; the message says why and what to do."""


def to_preview(corners: Corners, scale: float) -> list[list[float]]:
    return [[round((x + 0.5) * scale, 2), round((y + 0.5) * scale, 2)] for x, y in corners]


def to_frame(points: Sequence[Sequence[float]], scale: float) -> Corners:
    return tuple((x / scale - 0.5, y / scale - 0.5) for x, y in points)


def check_corners(raw: object, size: tuple[int, int]) -> list[tuple[float, float]]:
    """``raw`` as four (x, y) points inside a ``size`` preview, convex and not degenerate;
    points a little outside the photo are pulled onto its edge."""
    w, h = size
    points = _four_points(raw)
    for i, (x, y) in enumerate(points, 1):
        if not (-SLACK_PX <= x <= w + SLACK_PX and -SLACK_PX <= y <= h + SLACK_PX):
            raise BadCorners(
                f"corner {i} ({x:g}, {y:g}) lies outside the photo ({w}x{h} pixels); "
                "keep every handle on the photo"
            )
    points = [(min(max(x, 0.0), float(w)), min(max(y, 0.0), float(h))) for x, y in points]
    _check_shape(points, w, h)
    return points


def _four_points(raw: object) -> list[tuple[float, float]]:
    if not isinstance(raw, list) or len(raw) != 4:
        n = len(raw) if isinstance(raw, list) else "no list"
        raise BadCorners(
            f"corners: expected 4 points [x, y] in the preview's pixels (top-left, top-right, "
            f"bottom-right, bottom-left), got {n}; send all four handles' positions"
        )
    points: list[tuple[float, float]] = []
    for i, p in enumerate(raw, 1):
        ok = isinstance(p, list) and len(p) == 2
        ok = ok and all(isinstance(v, int | float) and not isinstance(v, bool) for v in p)
        if not ok or not all(math.isfinite(v) for v in p):
            raise BadCorners(f"corner {i} is {p!r}, not a point [x, y] of two finite numbers")
        points.append((float(p[0]), float(p[1])))
    return points


def _check_shape(points: list[tuple[float, float]], w: int, h: int) -> None:
    crosses = []
    for i in range(4):
        (ax, ay), (bx, by), (cx, cy) = points[i], points[(i + 1) % 4], points[(i + 2) % 4]
        crosses.append((bx - ax) * (cy - by) - (by - ay) * (cx - bx))
    if not (all(c > 0 for c in crosses) or all(c < 0 for c in crosses)):
        raise BadCorners(
            "the four corners do not make a page-shaped outline (its sides cross or bend "
            "inwards); put each handle on its own corner of the page, going round the page"
        )
    nxt = points[1:] + points[:1]
    area = abs(sum(ax * by - bx * ay for (ax, ay), (bx, by) in zip(points, nxt, strict=True))) / 2
    short = min(math.dist(points[i], points[(i + 1) % 4]) for i in range(4))
    if area < MIN_AREA * w * h or short < MIN_SIDE * min(w, h):
        raise BadCorners(
            f"the corners enclose too small a page ({100 * area / (w * h):.1f} % of the photo, "
            f"shortest side {short:.0f} pixels); place the handles on the page's four corners"
        )
