"""Which quadrilateral of candidate lines is the page (stage 1 of page detection).

Every convex quadrilateral made of two roughly-opposite pairs of lines is scored by

* **support** of each side: the share of its length where the colour step across it
  (inside minus outside, 2 px either side) agrees with the side's own mean step. A page edge
  steps the same way all along, however faint (white paper on a light desk) or shaded; wood
  grain and weave step at random; a line of a quad that runs on past the page's corner onto
  the desk steps nowhere there. Support, not the size of the step, is what counts, so a
  printed photo's strong edge does not outshout a faint page edge;
* a **contrast** factor that only rules out steps at the noise level;
* **agreement**: paper is lighter (or, on a white desk, darker) than its surroundings on
  all four sides; the squares of a tablecloth are not;
* **page-likeness**: a neutral inside, an A4-like real shape (:func:`aspect_ratios`);
* **size**, deliberately: among nested quads whose sides all have support, the outermost is
  the page and the inner ones are what is printed on it (a photo, a table, a block of
  handwriting), or three page edges and one line inside the page.

A side the frame's border hides (a page reaching the edge of the frame) cannot be seen to
step; one such side per quad gets a modest fixed support instead of none.

Steps are read in O(1) per side from cumulative sums along each line.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from edge_agent.vision.rectify import aspect_ratios

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.intp]

_STEP = 2.0  # px (search copy) either side of a line where the colour step is read
_AGREE = 1.5  # Lab units: a sample's step agrees with its side when beyond this
_CONTRAST = 2.5  # Lab units: mean steps well under this are noise
_SIZE_POWER = 0.5  # how strongly the outermost of nested candidates is preferred
_UNSEEN = 0.5  # support credited to the part of a side the frame cuts off
_PRIORS_FOR = 400  # quads (best by edges and size) whose page-likeness is looked at
_SEEN_FOR = 40  # and quads (best by edges alone) looked at too


@dataclass(frozen=True, slots=True)
class Ranked:
    """Plausible quads (Q, 4, 2) with their scores and per-side support (Q, 4)."""

    corners: F64
    scores: F64
    support: F64
    contrast: F64
    #: the share of each quad's margin ring that is paper-neutral (Q,)
    margin: F64
    #: the median lightness (8-bit Lab L) of each quad's margin ring (Q,): paper is light,
    #: a phone's screen or a dark book as neutral as paper is not
    light: F64


@dataclass(frozen=True, slots=True)
class _Profiles:
    """Cumulative sums along each line: colour step (L, T+1, 3), samples that agree with
    the line's dominant step direction (+ and -), in-frame samples; sample ``j`` of line
    ``l`` is at t = ``start[l] + j`` (only the stretch of each line that crosses the frame
    is sampled: half the work of sampling every line over the frame's diagonal both ways)."""

    step: F64
    pos: F64
    neg: F64
    valid: F64
    direction: F64
    start: I64
    count: int


def rank_quads(lab: F32, chroma_map: F32, lines: F64) -> Ranked | None:
    """Every plausible quad of ``lines`` scored (best first), or None if there is none."""
    h, w = lab.shape[:2]
    found = _enumerate(lines, w, h)
    if found is None:
        return None
    sides, corners = found
    prof = _profiles(lab, lines)
    support, contrast, agree, cut = _side_evidence(lines, sides, corners, prof)
    evidence = np.prod(support**2 * contrast, axis=1) ** 0.25 * (0.2 + 0.8 * agree**2)
    scores = evidence * (_area(corners) / (w * h)) ** _SIZE_POWER
    # priors are ≤ 1: only the leaders can win; and the quads seen best all round, however
    # small, so that a small page is still there when a pattern's large quads lead
    top = np.argsort(-scores)[:_PRIORS_FOR]
    top = np.concatenate([top, np.setdiff1d(np.argsort(-evidence)[:_SEEN_FOR], top)])
    priors, margin, light = _priors(corners[top], lab[..., 0], chroma_map, cut[top])
    rank = np.argsort(-(scores[top] * priors))
    order = top[rank]
    return Ranked(
        corners[order],
        (scores[top] * priors)[rank],
        support[order],
        contrast[order],
        margin[rank],
        light[rank],
    )


def _enumerate(lines: F64, w: int, h: int) -> tuple[I64, F64] | None:
    """Quads of two roughly-parallel pairs crossing at ≥ 30°: sides (Q, 4) and corners."""
    if len(lines) < 4:
        return None
    theta = lines[:, 1]
    diff = np.abs((theta[:, None] - theta[None, :] + np.pi / 2) % np.pi - np.pi / 2)
    normal = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    offset = normal @ np.array([w / 2, h / 2]) - lines[:, 0]  # signed distance of the centre
    facing = np.sign(normal @ normal.T)  # flip one normal of an anti-parallel pair
    apart = np.abs(offset[:, None] - facing * offset[None, :])
    pair = (diff < np.radians(35)) & (apart > 0.04 * min(w, h))  # a side is ≥ 4 % long
    ii, jj = np.nonzero(np.triu(pair, 1))
    if len(ii) < 2:
        return None
    a, b = np.triu_indices(len(ii), 1)
    l1, l3, l2, l4 = ii[a], jj[a], ii[b], jj[b]  # sides in order l1, l2, l3, l4
    cross_ok = np.ones(len(a), bool)
    for p in (l1, l3):
        for q in (l2, l4):
            cross_ok &= diff[p, q] > np.radians(30)
    sides = np.stack([l1, l2, l3, l4], axis=1)[cross_ok]
    corners = _intersect(lines[np.roll(sides, 1, axis=1)], lines[sides])  # corner k starts side k
    ok = _plausible(corners, w, h)
    return (sides[ok], corners[ok]) if ok.any() else None


def _profiles(lab: F32, lines: F64) -> _Profiles:
    h, w = lab.shape[:2]
    cos, sin = np.cos(lines[:, 1])[:, None], np.sin(lines[:, 1])[:, None]
    frame_x, frame_y = (
        np.array([0.0, w - 1.0, 0.0, w - 1.0]),
        np.array([0.0, 0.0, h - 1.0, h - 1.0]),
    )
    frame_t = frame_y * cos - frame_x * sin  # t of the frame's corners along each line (L, 4)
    lo_t, hi_t = frame_t.min(axis=1), frame_t.max(axis=1)
    start = np.floor(lo_t).astype(np.intp) - 2
    count = int(np.ceil((hi_t - start).max())) + 3
    t = start[:, None] + np.arange(count, dtype=np.float64)[None, :]
    x = lines[:, 0:1] * cos - t * sin
    y = lines[:, 0:1] * sin + t * cos
    n = len(lines)
    maps_x = np.concatenate([x + _STEP * cos, x - _STEP * cos]).astype(np.float32)
    maps_y = np.concatenate([y + _STEP * sin, y - _STEP * sin]).astype(np.float32)
    vals = cv2.remap(lab, maps_x, maps_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    step = vals[:n].astype(np.float64) - vals[n:]  # + side minus - side, along the normal
    step[..., 1:] *= 1.5  # chroma differences matter (paper on a coloured desk)
    mx, my = maps_x.reshape(2, n, -1), maps_y.reshape(2, n, -1)
    inside = ((mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)).all(axis=0)  # both seen
    step[~inside] = 0
    big = (np.linalg.norm(step, axis=2) > _AGREE)[..., None]
    cov = np.einsum("ltc,ltd->lcd", step * big, step)
    direction = np.linalg.eigh(cov + 1e-6 * np.eye(3))[1][..., 2]  # (L, 3), sign arbitrary
    proj = np.einsum("ltc,lc->lt", step, direction)

    def cum(a: npt.NDArray[np.generic]) -> F64:
        a = a.astype(np.float64)
        return np.concatenate([np.zeros((n, 1, *a.shape[2:])), np.cumsum(a, axis=1)], axis=1)

    agree_pos, agree_neg = cum(proj > _AGREE), cum(proj < -_AGREE)
    return _Profiles(cum(step), agree_pos, agree_neg, cum(inside), direction, start, count)


def _side_evidence(
    lines: F64, sides: I64, corners: F64, prof: _Profiles
) -> tuple[F64, F64, F64, npt.NDArray[np.bool_]]:
    """Per side: support (share agreeing with its mean step), contrast factor, whether the
    frame cuts it; per quad: agreement of the four (inside minus outside) lightness steps
    in sign."""
    centre = corners.mean(axis=1)
    q = len(sides)
    support, contrast, signed, unseen = (np.zeros((q, 4)) for _ in range(4))
    for k in range(4):
        idx = sides[:, k]
        ln = lines[idx]
        a, b = corners[:, k], corners[:, (k + 1) % 4]
        d = np.stack([-np.sin(ln[:, 1]), np.cos(ln[:, 1])], axis=1)
        n = np.stack([np.cos(ln[:, 1]), np.sin(ln[:, 1])], axis=1)
        ta, tb = np.einsum("ij,ij->i", a, d), np.einsum("ij,ij->i", b, d)
        span = np.abs(tb - ta)
        lo_t, hi_t = np.minimum(ta, tb) + 0.05 * span, np.maximum(ta, tb) - 0.05 * span
        lo = np.clip(np.round(lo_t).astype(np.intp) - prof.start[idx], 0, prof.count)
        hi = np.clip(np.round(hi_t).astype(np.intp) - prof.start[idx], 0, prof.count)
        seen = prof.valid[idx, hi] - prof.valid[idx, lo]
        count = np.maximum(seen, 1.0)
        mean = (prof.step[idx, hi] - prof.step[idx, lo]) / count[:, None]
        along = np.einsum("ij,ij->i", mean, prof.direction[idx])
        agreeing = np.where(
            along >= 0, prof.pos[idx, hi] - prof.pos[idx, lo], prof.neg[idx, hi] - prof.neg[idx, lo]
        )
        unseen[:, k] = 1 - seen / np.maximum(hi - lo, 1)
        support[:, k] = agreeing / np.maximum(hi - lo, 1)
        contrast[:, k] = 1 - np.exp(-((np.linalg.norm(mean, axis=1) / _CONTRAST) ** 2))
        inward = np.sign(np.einsum("ij,ij->i", centre - a, n))  # +normal points inside?
        signed[:, k] = mean[:, 0] * inward
    # a side on (or just past) the frame's border, where the step cannot be read, is where
    # the frame cuts the page: a modest fixed credit for its unseen part, for one side of a
    # quad at most (two would let strips of desk along the border in), so a page reaching
    # the frame's edge is found, and its weakest side keeps the confidence low
    cut = (unseen > 0.5) & ((unseen > 0.5).sum(axis=1) == 1)[:, None]
    support = np.where(cut, support + _UNSEEN * unseen, support)
    contrast = np.where(cut, 1.0, contrast)
    agree = np.abs(signed.sum(axis=1)) / np.maximum(np.abs(signed).sum(axis=1), 1e-6)
    return support, contrast, agree, cut


def _intersect(la: F64, lb: F64) -> F64:
    """Intersections of (rho, theta) lines, elementwise."""
    ca, sa, cb, sb = np.cos(la[..., 1]), np.sin(la[..., 1]), np.cos(lb[..., 1]), np.sin(lb[..., 1])
    det = ca * sb - sa * cb
    det = np.where(np.abs(det) < 1e-9, 1e-9, det)
    x = (la[..., 0] * sb - lb[..., 0] * sa) / det
    y = (ca * lb[..., 0] - cb * la[..., 0]) / det
    return np.stack([x, y], axis=-1)


def _plausible(corners: F64, w: int, h: int) -> npt.NDArray[np.bool_]:
    """Convex, inside the frame (a little slack), not tiny, no needle-thin sides."""
    e = np.roll(corners, -1, axis=1) - corners
    cross = e[..., 0] * np.roll(e, -1, axis=1)[..., 1] - e[..., 1] * np.roll(e, -1, axis=1)[..., 0]
    convex = (cross > 0).all(axis=1) | (cross < 0).all(axis=1)
    slack = 0.02 * max(w, h)
    inside = (
        (corners[..., 0] > -slack).all(axis=1)
        & (corners[..., 0] < w - 1 + slack).all(axis=1)
        & (corners[..., 1] > -slack).all(axis=1)
        & (corners[..., 1] < h - 1 + slack).all(axis=1)
    )
    length = np.hypot(e[..., 0], e[..., 1])
    big = (_area(corners) > 0.004 * w * h) & (length.min(axis=1) > 0.04 * min(w, h))
    across = np.minimum(length[:, 0] + length[:, 2], length[:, 1] + length[:, 3])
    along = np.maximum(length[:, 0] + length[:, 2], length[:, 1] + length[:, 3])
    return convex & inside & big & (along < 3 * across)  # type: ignore[no-any-return]


def _area(quads: F64) -> F64:
    nxt = np.roll(quads, -1, axis=1)
    cross = quads[..., 0] * nxt[..., 1] - nxt[..., 0] * quads[..., 1]
    return 0.5 * np.abs(cross.sum(axis=1))  # type: ignore[no-any-return]


def _ring(inset: float, per_side: int) -> tuple[F64, F64]:
    """(u, v) page coordinates of points on a ring ``inset`` inside the unit square."""
    t = np.linspace(inset, 1 - inset, per_side, endpoint=False)
    lo, hi = np.full_like(t, inset), np.full_like(t, 1 - inset)
    u = np.concatenate([t, hi, 1 - t, lo])
    v = np.concatenate([lo, t, hi, 1 - t])
    return u, v


_RING = tuple(np.concatenate(a) for a in zip(_ring(0.05, 8), _ring(0.1, 8), strict=True))


def _priors(
    corners: F64, lightness: F32, chroma_map: F32, cut: npt.NDArray[np.bool_]
) -> tuple[F64, F64, F64]:
    """How page-like each quad is, apart from its edges: a neutral margin, A4-ish; and the
    neutral share of the margin itself; and its median lightness.

    Soft factors, so an unusual page still wins when nothing else is there; they decide
    between a page and a square of a plaid cloth, a coloured book or a sticky note. Only
    the margin is looked at: a page may carry colour photos, but it is paper at its edges.
    """
    h, w = chroma_map.shape[:2]
    u, v = (a[None, :, None] for a in _RING)
    c0, c1, c2, c3 = (corners[:, k][:, None, :] for k in range(4))
    pts = (1 - v) * ((1 - u) * c0 + u * c1) + v * ((1 - u) * c3 + u * c2)  # (Q, 64, 2)
    xi = np.clip(np.round(pts[..., 0]).astype(np.intp), 0, w - 1)
    yi = np.clip(np.round(pts[..., 1]).astype(np.intp), 0, h - 1)
    sampled = chroma_map[yi, xi]
    margin = np.exp(-((np.maximum(sampled - 10.0, 0) / 12.0) ** 2)).mean(axis=1)
    neutral = np.minimum(1.0, 2.5 * margin)  # photos may reach into the margin
    # where the frame cuts a side, paper must reach the frame's border there: its margin
    # is neutral (a strip of desk between a page edge and the border is not a page)
    per_side = np.exp(-((np.maximum(sampled - 10.0, 0) / 12.0) ** 2)).reshape(-1, 2, 4, 8)
    neutral *= np.where(cut, per_side.mean(axis=(1, 3)), 1.0).min(axis=1)
    ratio = aspect_ratios(corners, np.array([(w - 1) / 2, (h - 1) / 2]), max(w, h))
    shape = 0.5 + 0.5 * np.exp(-((np.log(np.maximum(ratio, 1 / ratio) / np.sqrt(2)) / 0.3) ** 2))
    return neutral * shape, margin, np.median(lightness[yi, xi], axis=1)
