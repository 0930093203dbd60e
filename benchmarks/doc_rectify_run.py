"""Running the page detector over a seeded synthetic set: one record per frame.

Frames cycle through the chosen conditions (frame ``i`` has condition ``i % len``), and the
``j``-th frame of a condition has seed ``seed * 100_000 + j``: every condition gets the same
number of frames give or take one, and ``--only tuning`` scores exactly the tuning frames
that a run over all conditions scores. Timed (wall clock
and this process's CPU time): ``detect_page`` + ``rectify``; the frame's generation is timed
on its own and reported apart.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from benchmarks.doc_rectify_sides import UNSEEN_STEP, weakest_side_step
from edge_agent.vision.page_detect import detect_page
from edge_agent.vision.rectify import rectify
from simulators.doc_camera import HELD_OUT, TUNING, Condition, Scene, generate_scene, jaccard

FAIL_BELOW = 0.9
ASK_BELOW = 0.5  # the kiosk's default (``edge_agent.drivers.camera_config``: ``ask_below``)


@dataclass(frozen=True, slots=True)
class Frame:
    """One scored frame."""

    condition: Condition
    seed: int
    #: Jaccard index against the truth; 0 when no page was found
    ji: float
    #: the detector's confidence; NaN when no page was found
    confidence: float
    wall_ms: float
    cpu_ms: float
    gen_ms: float
    #: what is printed on the page (form, photos, table, ...)
    kind: str = ""
    #: the true page's weakest side's step in the frame, grey levels (``doc_rectify_sides``)
    side_step: float = math.nan

    @property
    def asked(self) -> bool:
        """Would the kiosk ask the citizen to adjust the corners (or show none found)?"""
        return self.missed or self.confidence < ASK_BELOW

    @property
    def unseen(self) -> bool:
        """Is one of the page's sides below a grey level in the pixels (no detector's)?"""
        return self.side_step < UNSEEN_STEP

    @property
    def missed(self) -> bool:
        return math.isnan(self.confidence)

    @property
    def failed(self) -> bool:
        return self.ji < FAIL_BELOW


def pick(which: str) -> tuple[Condition, ...]:
    """``tuning``, ``held_out`` or ``all`` (tuning first, then the held-out ones)."""
    held = tuple(c for c in Condition if c in HELD_OUT)
    return {"tuning": TUNING, "held_out": held, "all": TUNING + held}[which]


def run(
    n: int,
    seed: int,
    size: tuple[int, int],
    conditions: Sequence[Condition],
    save: Path | None = None,
) -> list[Frame]:
    """Score ``n`` frames of ``size`` spread over ``conditions``; failed frames of tuning
    conditions are written to ``save`` (truth red, detection green) if given."""
    frames = []
    for i in range(n):
        cond = conditions[i % len(conditions)]
        frame_seed = seed * 100_000 + i // len(conditions)
        g0 = time.perf_counter()
        scene = generate_scene(frame_seed, cond, size)
        gen_ms = (time.perf_counter() - g0) * 1000
        c0, t0 = time.process_time(), time.perf_counter()
        found = detect_page(scene.frame)
        if found is not None:
            rectify(scene.frame, found.corners)
        wall = (time.perf_counter() - t0) * 1000
        cpu = (time.process_time() - c0) * 1000
        if found is None:
            ji, conf = 0.0, math.nan
        else:
            ji = jaccard(found.corners, scene.corners, scene.page_size)
            conf = float(found.confidence)
        step = weakest_side_step(scene.frame, scene.corners)
        frames.append(Frame(cond, frame_seed, ji, conf, wall, cpu, gen_ms, scene.kind, step))
        if save is not None and ji < FAIL_BELOW and cond not in HELD_OUT:
            _save(save, scene, None if found is None else found.corners, ji)
    return frames


def _save(folder: Path, scene: Scene, found: npt.NDArray[np.float64] | None, ji: float) -> None:
    """A failed frame as JPEG for looking at: the truth in red, the detection in green."""
    img = scene.frame.copy()
    width = max(2, img.shape[0] // 400)
    cv2.polylines(img, [np.round(scene.corners).astype(np.int32)], True, (0, 0, 255), width)
    if found is not None:
        cv2.polylines(img, [np.round(found).astype(np.int32)], True, (0, 255, 0), width)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{scene.condition.value}_{scene.kind}_{scene.frame.shape[1]}_{scene.seed}_{ji:.2f}.jpg"
    cv2.imwrite(str(folder / name), img)


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else math.nan


@dataclass(frozen=True, slots=True)
class Summary:
    """Accuracy of a group of frames (a condition, the tuning set, the held-out set)."""

    n: int
    mean: float
    minimum: float
    failures: int
    missed: int

    @property
    def fail_share(self) -> float:
        return self.failures / self.n if self.n else math.nan

    @classmethod
    def of(cls, frames: Sequence[Frame]) -> Summary:
        if not frames:
            return cls(0, math.nan, math.nan, 0, 0)
        jis = [f.ji for f in frames]
        return cls(
            n=len(frames),
            mean=statistics.fmean(jis),
            minimum=min(jis),
            failures=sum(f.failed for f in frames),
            missed=sum(f.missed for f in frames),
        )


def by_condition(frames: Sequence[Frame]) -> dict[Condition, list[Frame]]:
    groups: dict[Condition, list[Frame]] = {}
    for f in frames:
        groups.setdefault(f.condition, []).append(f)
    return groups


def worst(frames: Sequence[Frame]) -> tuple[Condition, float] | None:
    """The condition with the lowest mean JI and that mean."""
    groups = by_condition(frames)
    if not groups:
        return None
    cond = min(groups, key=lambda c: Summary.of(groups[c]).mean)
    return cond, Summary.of(groups[cond]).mean
