"""Document camera: page detection accuracy (SmartDoc 2015 protocol) and processing time.

A seeded set of synthetic captures (``simulators.doc_camera``), spread evenly over the
conditions, is run through ``detect_page`` + ``rectify`` on one core (``cv2.setNumThreads(1)``)
and scored the way the SmartDoc 2015 challenge (ICDAR, page detection) scores: the detected
and the true quadrilateral are both warped into the page's own frame, by the homography
that maps the true quadrilateral onto a rectangle of the page's size, and compared by their
Jaccard index (area of intersection over area of union). A missed page scores 0; a frame
fails below JI 0.9. Working in the page's frame weighs an error on the far, foreshortened
edge as much as one on the near edge, as a reader of the scan would.

    python -m benchmarks.doc_rectify [--n 300] [--seed 1] [--n12 20]

Targets: mean JI ≥ 0.98, worst condition ≥ 0.95, failures ≤ 1 %, p95 ≤ 100 ms at 1080p.
Timed: detection + rectification (warp, crop, deskew, flatten); JPEG/PDF encoding and the
generation of the frame are not.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections import defaultdict

import cv2
import numpy as np

from edge_agent.vision.page_detect import detect_page
from edge_agent.vision.rectify import encode_jpeg, rectify
from simulators.doc_camera import Condition, generate_scene, jaccard

TARGET_MEAN, TARGET_WORST, TARGET_FAIL, TARGET_P95_MS = 0.98, 0.95, 0.01, 100.0
FAIL_BELOW = 0.9


def run(
    n: int, seed: int, size: tuple[int, int]
) -> tuple[dict[Condition, list[float]], list[float]]:
    """JI per condition and detection+rectification milliseconds per frame."""
    conditions = list(Condition)
    scores: dict[Condition, list[float]] = defaultdict(list)
    times: list[float] = []
    for i in range(n):
        cond = conditions[i % len(conditions)]
        scene = generate_scene(seed * 100_000 + i, cond, size)
        t0 = time.perf_counter()
        found = detect_page(scene.frame)
        if found is not None:
            rectify(scene.frame, found.corners)
        times.append((time.perf_counter() - t0) * 1000)
        ji = 0.0 if found is None else jaccard(found.corners, scene.corners, scene.page_size)
        scores[cond].append(ji)
    return scores, times


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="1080p frames (≥ 300 for the targets)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--n12", type=int, default=20, help="12-megapixel frames (timing)")
    args = parser.parse_args()
    cv2.setNumThreads(1)

    print(f"doc_rectify: {args.n} frames 1920x1080 + {args.n12} frames 4000x3000, seed {args.seed}")
    print(
        f"python {platform.python_version()}, opencv {cv2.__version__}, numpy {np.__version__}, "
        f"{platform.machine()}, cv2 threads {cv2.getNumThreads()}"
    )
    t_start = time.perf_counter()
    scores, times = run(args.n, args.seed, (1920, 1080))
    every = [ji for values in scores.values() for ji in values]
    means = {c: statistics.fmean(v) for c, v in scores.items()}
    worst = min(means, key=means.__getitem__)
    failures = sum(ji < FAIL_BELOW for ji in every) / len(every)
    missed = sum(ji == 0.0 for ji in every)

    print("\nper condition       n   mean JI   min JI   failures")
    for cond, values in scores.items():
        fails = sum(ji < FAIL_BELOW for ji in values)
        print(
            f"  {cond.value:<15} {len(values):>4}   {means[cond]:.4f}   {min(values):.4f}   {fails}"
        )
    print(f"\nmean JI            {statistics.fmean(every):.4f}   (target ≥ {TARGET_MEAN})")
    print(f"worst condition    {means[worst]:.4f}   {worst.value} (target ≥ {TARGET_WORST})")
    print(f"failures (JI<0.9)  {failures:.2%}   {missed} missed (target ≤ {TARGET_FAIL:.0%})")
    print(
        f"1080p detect+rectify  p50 {pct(times, 50):.1f} ms  p95 {pct(times, 95):.1f} ms  "
        f"max {max(times):.1f} ms (target p95 ≤ {TARGET_P95_MS:.0f} ms)"
    )

    if args.n12:
        scores12, times12 = run(args.n12, args.seed + 1, (4000, 3000))
        every12 = [ji for values in scores12.values() for ji in values]
        print(
            f"12 MP detect+rectify  p50 {pct(times12, 50):.1f} ms  p95 {pct(times12, 95):.1f} ms  "
            f"(mean JI {statistics.fmean(every12):.4f} over {len(every12)} frames)"
        )
    scene = generate_scene(args.seed, Condition.PLAIN_DESK)
    found = detect_page(scene.frame)
    if found is not None:
        page = rectify(scene.frame, found.corners)
        t0 = time.perf_counter()
        jpeg = encode_jpeg(page, 85)
        print(
            f"JPEG encode of a {page.shape[1]}x{page.shape[0]} page: "
            f"{(time.perf_counter() - t0) * 1000:.1f} ms, {len(jpeg) / 1024:.0f} KiB "
            "(not in the times above)"
        )

    ok = (
        statistics.fmean(every) >= TARGET_MEAN
        and means[worst] >= TARGET_WORST
        and failures <= TARGET_FAIL
        and pct(times, 95) <= TARGET_P95_MS
    )
    print(
        f"\ntargets {'MET' if ok else 'NOT MET'}; wall time {time.perf_counter() - t_start:.0f} s"
    )


if __name__ == "__main__":
    main()
