"""Which of the ranked quads is the page, when the best-scoring one is ambiguous.

The score prefers the outermost of nested quads (a page over what is printed on it), so a
large quad cut out of a repeating desk pattern — a plaid or checked cloth, whose bands step
the same way along most of their length — can outscore a small page whose four sides are
seen whole. Such a quad betrays itself: another quad, shifted by one period of the
pattern, scores nearly as well (a *rival*; the confidence is then 0). A page does not: its
only near-equals are nested inside it (what is printed on it).

So when the top quad has a rival, the pick is the best *clean* quad (every side seen
nearly all along, a paper margin) that has no clean rival of its own; quads containing it
are not its rivals (they are the pattern around it). With no such quad the top one stays.

And the other way round (:func:`outermost`): a top quad with a side that does not step
along most of its length, inside a larger quad of paper whose four sides all do (however
faintly), is part of that page: the page is picked.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from edge_agent.vision.page_score import Ranked

F64 = npt.NDArray[np.float64]

AMBIGUOUS = 0.65  # a rival scoring this share of a quad makes it ambiguous
_CLEAN_SIDE = 0.97  # support × contrast of a quad's weakest side for it to be clean
_PAPER_MARGIN = 0.9  # share of the margin ring that is paper-neutral
_WHITE = 170.0  # a margin this light and neutral is a sheet of paper's
_LIGHT = 100.0  # median lightness (8-bit L) of the margin ring: paper, even in a shadow
_SEEN_SIDE, _SEEN_MARGIN = 0.85, 0.3  # a quad this well seen is a page, not a pattern
# ... and so is a quad of paper (a neutral, light margin) whose every side steps along most
# of its length, however faintly: a faint page, whose weakest side a photo or an ID copy
# printed near its edge leaves partly unseen (a cloth's quads have a colour margin)
_FAINT_SIDE, _FAINT_MARGIN = 0.7, 0.7
_FLOOR = 0.2  # an alternative scores at least this share of the top quad
_WHOLE_SIDE = 0.95  # support of every side of an outer page: seen along its whole length
_WHOLE_CONTRAST = 0.5  # and its contrast factor: weak, but above the noise
_OUTER_FLOOR = 0.4  # an outer page scores at least this share of the top quad
_LOOK = 150  # how deep in the ranking rivals and alternatives are looked for


def rival(ranked: Ranked, index: int = 0, among: npt.NDArray[np.bool_] | None = None) -> float:
    """The best score of a quad overlapping quad ``index`` by less than 80 % (IoU) and not
    nested inside it, or 0; with ``among``, only those quads count and quads containing
    quad ``index`` do not."""
    j = _rival_at(ranked, index, among)
    return 0.0 if j < 0 else float(ranked.scores[j])


def _rival_at(ranked: Ranked, index: int, among: npt.NDArray[np.bool_] | None) -> int:
    """Where in the ranking :func:`rival`'s quad is, or -1."""
    pick = cv2.convexHull(ranked.corners[index].astype(np.float32))
    pick_area = cv2.contourArea(pick)
    for j in range(min(_LOOK, len(ranked.scores))):
        if j == index or (among is not None and not among[j]):
            continue
        hull = cv2.convexHull(ranked.corners[j].astype(np.float32))
        inter, _ = cv2.intersectConvexConvex(pick, hull)
        area = cv2.contourArea(hull)
        if inter > 0.95 * area:
            continue  # nested inside the pick: what is printed on the page, outvoted by design
        if among is not None and inter > 0.95 * pick_area:
            continue  # contains the pick: the pattern around a page, not another answer
        if inter / max(pick_area + area - inter, 1e-9) < 0.8:
            return j
    return -1


def unambiguous(ranked: Ranked, small: float) -> Ranked:
    """``ranked`` with the page first: unchanged unless the top quad has a rival and a
    clean quad without a clean rival scores at least ``_FLOOR`` of it. A top quad smaller
    than ``small`` (px²) stays: a pattern's quads are large, and a small pick (a photo on a
    small page) is looked at again from closer instead."""
    top = float(ranked.scores[0])
    if cv2.contourArea(ranked.corners[0].astype(np.float32)) <= small:
        return ranked
    weakest = (ranked.support * ranked.contrast).min(axis=1)
    clean = (weakest >= _CLEAN_SIDE) & (ranked.margin >= _PAPER_MARGIN) & (ranked.light >= _LIGHT)
    at = _rival_at(ranked, 0, None)
    if at < 0 or ranked.scores[at] < AMBIGUOUS * top or clean[at]:
        return ranked  # no rival, or a clean one: two sheets of paper, a real ambiguity
    # what is printed on a page (nested in it) never replaces it: only a pattern's quad,
    # whose sides step part of their length and whose margin is colour, may be replaced
    # by a quad inside it
    page_like = weakest[0] >= _SEEN_SIDE and ranked.margin[0] >= _SEEN_MARGIN
    page_like |= bool(
        weakest[0] >= _FAINT_SIDE
        and ranked.margin[0] >= _FAINT_MARGIN
        and ranked.light[0] >= _LIGHT
    )
    if white_margin(ranked):
        return ranked  # a page partly hidden (by a sheet), not a pattern
    for i in np.flatnonzero(clean):
        score = float(ranked.scores[i])
        if score < _FLOOR * top:
            break
        if i == 0 or (page_like and _nested(ranked.corners[i], ranked.corners[0])):
            continue
        if rival(ranked, int(i), clean) < AMBIGUOUS * score:
            return _first(ranked, int(i))
    return ranked


def outermost(ranked: Ranked) -> Ranked:
    """``ranked`` with the page first when the top quad, a side of which steps along
    less than ``_FAINT_SIDE`` of its length (not a sheet's outline), lies inside a larger
    quad of paper (a light, neutral margin) whose four sides each step along their whole
    length, however faintly, scoring at least ``_OUTER_FLOOR`` of it: the top is then part
    of that page (three of its edges and a line of what is printed on it). A faint page
    loses on score to such a quad where the desk's light makes the paper lighter than the
    desk on some sides and darker on others. A top whose sides all step stays: a larger
    quad around it is that sheet plus a strip of desk up to a lamp's bright edge as often
    as a page around a printed photo (its rival then keeps the confidence low)."""
    top = float(ranked.scores[0])
    whole = (
        (ranked.support.min(axis=1) >= _WHOLE_SIDE)
        & (ranked.contrast.min(axis=1) >= _WHOLE_CONTRAST)
        & (ranked.margin >= _PAPER_MARGIN)
        & (ranked.light >= _LIGHT)
    )
    if ranked.support[0].min() >= _FAINT_SIDE:
        return ranked  # every side of the top steps along most of its length: a sheet
    area = cv2.contourArea(ranked.corners[0].astype(np.float32))
    for j in np.flatnonzero(whole[:_LOOK]):
        if ranked.scores[j] < _OUTER_FLOOR * top:
            break
        outer = cv2.contourArea(ranked.corners[j].astype(np.float32))
        if j > 0 and outer > 1.1 * area and _nested(ranked.corners[0], ranked.corners[j]):
            return _first(ranked, int(j))
    return ranked


def white_margin(ranked: Ranked) -> bool:
    """Whether the top quad's margin is white paper (neutral and light): a page, even
    when a side is hidden."""
    return bool(ranked.margin[0] >= _PAPER_MARGIN and ranked.light[0] >= _WHITE)


def _nested(inner: F64, outer: F64) -> bool:
    a, b = (cv2.convexHull(q.astype(np.float32)) for q in (inner, outer))
    inter, _ = cv2.intersectConvexConvex(a, b)
    return bool(inter > 0.95 * cv2.contourArea(a))


def _first(ranked: Ranked, index: int) -> Ranked:
    """``ranked`` with quad ``index`` moved to the front, the others in order."""
    order = np.r_[index, np.delete(np.arange(len(ranked.scores)), index)]
    return Ranked(
        ranked.corners[order],
        ranked.scores[order],
        ranked.support[order],
        ranked.contrast[order],
        ranked.margin[order],
        ranked.light[order],
    )
