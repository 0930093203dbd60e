"""Printed photographs for the pages: streets, landscapes and portraits with hard edges.

Drawn at a quarter of their printed size with a little texture, then scaled up: a printed
photo's own detail matters less than its rectangle's strong edge on white paper.
"""

from __future__ import annotations

import cv2
import numpy as np

from simulators.doc_scene.pixels import FImage, f32


def photo(rng: np.random.Generator, pw: int, ph: int) -> FImage:
    """A printed photograph: a street or landscape (sky, ground, buildings with windows,
    trees, people) or a portrait; drawn at a quarter size, textured, scaled up."""
    sw, sh = max(8, pw // 4), max(8, ph // 4)
    if rng.random() < 0.35:
        small = portrait(rng, sw, sh)
    else:
        horizon = rng.uniform(0.3, 0.7)
        t = np.linspace(0, 1, sh, dtype=np.float32)[:, None, None]
        sky, ground = rng.uniform(120, 250, 3), rng.uniform(20, 160, 3)
        small = np.where(t < horizon, sky * (0.8 + 0.2 * t), ground * (0.7 + 0.5 * t))
        small = np.broadcast_to(small, (sh, sw, 3)).astype(np.float32).copy()
        for _ in range(int(rng.integers(0, 5))):  # buildings
            x0 = int(rng.integers(0, sw))
            bw, top = (
                int(rng.integers(sw // 10 + 1, sw // 3 + 2)),
                int(sh * rng.uniform(0.1, horizon)),
            )
            cv2.rectangle(
                small, (x0, top), (x0 + bw, int(sh * horizon)), rng.uniform(30, 200, 3).tolist(), -1
            )
            win = max(2, bw // 6)
            for wy in range(top + win, int(sh * horizon) - win, 2 * win):
                for wx in range(x0 + win // 2, x0 + bw - win, 2 * win):
                    cv2.rectangle(
                        small,
                        (wx, wy),
                        (wx + win - 1, wy + win - 1),
                        rng.uniform(20, 90, 3).tolist(),
                        -1,
                    )
        for _ in range(int(rng.integers(2, 10))):  # trees, people, cars
            c = (int(rng.integers(sw)), int(sh * rng.uniform(horizon - 0.1, 1.0)))
            axes = (int(rng.integers(2, sw // 6 + 3)), int(rng.integers(2, sh // 5 + 3)))
            cv2.ellipse(
                small,
                c,
                axes,
                float(rng.uniform(-20, 20)),
                0,
                360,
                rng.uniform(10, 220, 3).tolist(),
                -1,
                cv2.LINE_AA,
            )
    small += (
        f32(cv2.GaussianBlur(rng.standard_normal((sh, sw, 1), dtype=np.float32), (0, 0), 1.0))[
            ..., None
        ]
        * 12
    )
    big = f32(cv2.resize(small, (pw, ph), interpolation=cv2.INTER_CUBIC))
    return f32(np.clip(big * rng.uniform(0.8, 1.0), 0, 255))


def portrait(rng: np.random.Generator, sw: int, sh: int) -> FImage:
    """Head and shoulders on a plain backdrop (an ID photo, a staff photo)."""
    small = np.empty((sh, sw, 3), np.float32)
    small[:] = rng.uniform(100, 245, 3)
    skin = (rng.uniform(90, 150), rng.uniform(120, 175), rng.uniform(160, 220))
    hair = rng.uniform(10, 60, 3).tolist()
    cx, cy = sw // 2 + int(rng.integers(-sw // 10, sw // 10 + 1)), int(sh * 0.42)
    cv2.ellipse(
        small,
        (cx, sh),
        (int(sw * 0.45), int(sh * 0.3)),
        0,
        0,
        360,
        rng.uniform(10, 120, 3).tolist(),
        -1,
        cv2.LINE_AA,
    )
    cv2.ellipse(
        small, (cx, cy - sh // 12), (sw // 4 + 1, sh // 4 + 1), 0, 0, 360, hair, -1, cv2.LINE_AA
    )
    cv2.ellipse(small, (cx, cy), (sw // 5 + 1, sh // 4 + 1), 0, 0, 360, skin, -1, cv2.LINE_AA)
    for ex in (cx - sw // 12, cx + sw // 12):
        cv2.circle(small, (ex, cy - sh // 30), max(1, sw // 60), (30, 30, 30), -1, cv2.LINE_AA)
    return small
