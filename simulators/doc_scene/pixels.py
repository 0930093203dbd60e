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
