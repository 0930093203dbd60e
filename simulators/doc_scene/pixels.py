"""Image types and the small helpers every part of a synthetic capture uses."""

from __future__ import annotations

from typing import Any, cast

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
FImage = npt.NDArray[np.float32]
Corners = npt.NDArray[np.float64]


def f32(a: Any) -> FImage:
    """OpenCV's stubs return ``MatLike``; float32 in, float32 out."""
    return cast(FImage, np.asarray(a, np.float32))


def pt(p: npt.NDArray[np.float64]) -> tuple[int, int]:
    return round(float(p[0])), round(float(p[1]))


def lowfreq(rng: np.random.Generator, size: tuple[int, int], cells: int) -> FImage:
    """Smooth random field in [-1, 1] (cubic-upsampled coarse noise)."""
    width, height = size
    coarse = rng.uniform(-1, 1, (cells, max(2, cells * width // height))).astype(np.float32)
    return f32(cv2.resize(coarse, size, interpolation=cv2.INTER_CUBIC))


def fill(size: tuple[int, int], bgr: Any) -> FImage:
    width, height = size
    return np.broadcast_to(np.asarray(bgr, np.float32), (height, width, 3)).copy()


def roi(layer: npt.NDArray[Any], margin: float) -> tuple[slice, slice] | None:
    """Rows and columns of ``layer``'s non-zero pixels grown by ``margin``; None if empty.

    Occluders and stamps touch a small part of a 12 MP frame: blurring and blending only
    there keeps the frame cheap."""
    rows = np.flatnonzero(layer.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(layer[rows[0] : rows[-1] + 1].any(axis=0))
    m = int(np.ceil(margin))
    h, w = layer.shape[:2]
    return (
        slice(max(0, int(rows[0]) - m), min(h, int(rows[-1]) + m + 1)),
        slice(max(0, int(cols[0]) - m), min(w, int(cols[-1]) + m + 1)),
    )


def soft_blur(img: FImage, sigma: float) -> FImage:
    """A wide Gaussian blur done at a lower resolution (same result to the eye, 4-16× faster)."""
    if sigma < 3:
        return f32(cv2.GaussianBlur(img, (0, 0), sigma))
    f = min(4, int(sigma // 1.5))
    h, w = img.shape[:2]
    small = cv2.resize(img, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / f)
    return f32(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR))


def shifted(a: FImage, dy: int, dx: int) -> FImage:
    """``a`` moved down by ``dy`` and right by ``dx`` (non-negative), zeros coming in (a
    shadow cast off the side; ``np.roll`` would wrap it round to the other side)."""
    out = np.zeros_like(a)
    h, w = a.shape[:2]
    if dy < h and dx < w:
        out[dy:, dx:] = a[: h - dy, : w - dx]
    return out
