"""Laying the rendered page onto the desk through the camera's homography, with a gentle curl.

Paper is rarely flat: an edge lifts a little. The curl here bends one edge of the page by
0.3-1.2 % of the page's height at its middle, fading to nothing 10-25 % into the page and at
both ends, so the four corners (the ground truth) stay exact while that edge is a gentle arc
in the frame; the lifted strip is shaded by -8 % .. +5 %. Sampling is one ``cv2.remap``
whose maps are computed at 1/4 size and interpolated up (the homography and the bend are
smooth), fast at 12 MP.

The returned mask is the page's coverage of each frame pixel (0..1, anti-aliased), before
anything is laid over it; the tests sample it to check the corners.
"""

from __future__ import annotations

import cv2
import numpy as np

from simulators.doc_scene.pixels import Corners, FImage, Image, f32, soft_blur

_MAP_STEP = 4


Curl = tuple[int, float, float, float]


def curl_of(rng: np.random.Generator, chance: float) -> Curl:
    """``(edge, amplitude as a share of the page height, depth share, shading)``; amplitude
    0 = flat. The lifted strip turns a little towards or away from the light: its brightness
    changes by ``shading`` (-8 % .. +5 %) at the edge."""
    if rng.random() >= chance:
        return 0, 0.0, 0.1, 0.0
    edge, amp = int(rng.integers(4)), float(rng.uniform(0.003, 0.012))
    return edge, amp, float(rng.uniform(0.1, 0.25)), float(rng.uniform(-0.08, 0.05))


def lay_page(desk: FImage, sheet: Image, corners: Corners, curl: Curl) -> tuple[FImage, FImage]:
    """``(frame with the page on the desk, page mask)``; ``sheet`` is the page's own image."""
    height, width = desk.shape[:2]
    page_h, page_w = sheet.shape[:2]
    src = np.array(
        [[-0.5, -0.5], [page_w - 0.5, -0.5], [page_w - 0.5, page_h - 0.5], [-0.5, page_h - 0.5]],
        np.float32,
    )
    inv = cv2.getPerspectiveTransform(corners.astype(np.float32), src)
    # Maps on a coarse grid at frame x = step*(j - pad) + (step - 1)/2, which is exactly
    # where cv2.resize (pixel-centre aligned) puts coarse sample j when it scales by step.
    step, pad = _MAP_STEP, 2
    sw, sh = width // step + 2 * pad + 1, height // step + 2 * pad + 1
    ys, xs = (np.mgrid[0:sh, 0:sw].astype(np.float64) - pad) * step + (step - 1) / 2
    den = inv[2, 0] * xs + inv[2, 1] * ys + inv[2, 2]
    den = np.where(np.abs(den) < 1e-9, 1e-9, den)
    u = (inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]) / den
    v = (inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]) / den
    u, v, lift = _bend(u, v, page_w, page_h, curl)
    crop = np.s_[step * pad : step * pad + height, step * pad : step * pad + width]
    full = (sw * step, sh * step)
    map_x = f32(cv2.resize(f32(u), full, interpolation=cv2.INTER_LINEAR))[crop]
    map_y = f32(cv2.resize(f32(v), full, interpolation=cv2.INTER_LINEAR))[crop]
    warped = cv2.remap(sheet, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    ones = np.ones((page_h, page_w), np.float32)
    mask = f32(
        cv2.remap(
            ones, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
        )
    )
    behind = den < 0  # pixels whose ray meets the page plane behind the camera
    if behind.any():
        mask[cv2.resize(behind.astype(np.uint8), full)[crop] > 0] = 0
    page = warped.astype(np.float32)
    if curl[3] != 0:
        gain = f32(cv2.resize(f32(1 + curl[3] * lift), full, interpolation=cv2.INTER_LINEAR))
        page *= gain[crop][..., None]
    m = mask[..., None]
    return f32(desk * (1.0 - m) + page * m), mask


def _bend(
    u: np.ndarray, v: np.ndarray, page_w: int, page_h: int, curl: Curl
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sheet coordinates displaced by the curl (first-order inverse of the forward bend), and
    how far each point is lifted (0..1)."""
    edge, amp, depth, _ = curl
    if amp == 0:
        return u, v, np.zeros_like(u)
    s_u = np.clip((u + 0.5) / page_w, 0, 1)
    s_v = np.clip((v + 0.5) / page_h, 0, 1)
    along, dist = (s_u, s_v) if edge in (0, 2) else (s_v, s_u)
    if edge in (1, 2):  # right and bottom edges: distance from the far side
        dist = 1 - dist
    fade = np.clip(1 - dist / depth, 0, 1) ** 2
    lift = np.sin(np.pi * along) * fade
    d = amp * page_h * lift
    sign = -1.0 if edge in (0, 3) else 1.0  # outward: up/left for top/left, down/right else
    if edge in (0, 2):
        return u, v - sign * d, lift
    return u - sign * d, v, lift


def contact_shadow(rng: np.random.Generator, scene: FImage, mask: FImage, k: float) -> None:
    """The thin shadow a sheet casts on the desk along some of its edges under a directed
    light (40 % of frames, 2-6 % darker, 1-3 px wide at 1080p); none under diffuse light."""
    if rng.random() >= 0.4:
        return
    ang = rng.uniform(0, 2 * np.pi)
    off = rng.uniform(0.5, 2.5) * k
    shift = np.array([[1, 0, off * np.cos(ang)], [0, 1, off * np.sin(ang)]], np.float32)
    moved = cv2.warpAffine(mask, shift, (mask.shape[1], mask.shape[0]))
    soft = soft_blur(f32(moved), rng.uniform(0.8, 2.0) * k)
    scene *= (1 - rng.uniform(0.02, 0.06) * soft * (1 - mask))[..., None]
