"""How well a detector found the page: the SmartDoc 2015 Jaccard index."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt


def jaccard(found: npt.ArrayLike, truth: npt.ArrayLike, page_size: tuple[float, float]) -> float:
    """SmartDoc 2015 Jaccard index of quad ``found`` against the true quad ``truth``.

    Both (TL, TR, BR, BL, frame pixels) are warped into the page's own frame by the
    homography taking ``truth`` to a ``page_size`` rectangle, then compared by intersection
    over union, so an error on the far, foreshortened edge of a slanted page counts as
    much as one on the near edge. A quad reaching past the page plane's horizon scores 0.
    """
    w, h = page_size
    rect = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    hom = cv2.getPerspectiveTransform(np.asarray(truth, np.float32).reshape(4, 2), rect)
    pts = np.c_[np.asarray(found, np.float64).reshape(4, 2), np.ones(4)] @ hom.T
    if (pts[:, 2] <= 1e-9).any():
        return 0.0
    hull = cv2.convexHull((pts[:, :2] / pts[:, 2:3]).astype(np.float32))
    inter, _ = cv2.intersectConvexConvex(hull, cv2.convexHull(rect))
    union = cv2.contourArea(hull) + w * h - inter
    return float(inter / union) if union > 0 else 0.0
