"""Printing the page-detection benchmark: per-condition tables, targets, timing, calibration."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from benchmarks.doc_rectify_run import Frame, Summary, by_condition, pct, worst
from simulators.doc_camera import HELD_OUT

TARGET_MEAN, TARGET_WORST, TARGET_FAIL = 0.98, 0.95, 0.02
TARGET_P95_MS = {"1080p": 100.0, "12 MP": 200.0}
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def condition_table(title: str, frames: Sequence[Frame]) -> None:
    """One line per condition: n, mean and min JI, failures, missed, mean confidence."""
    print(f"\n{title}")
    print("  condition           n   mean JI   min JI  fail  missed  mean conf")
    for cond, group in by_condition(frames).items():
        s = Summary.of(group)
        confs = [f.confidence for f in group if not f.missed]
        conf = statistics.fmean(confs) if confs else math.nan
        print(
            f"  {cond.value:<16} {s.n:>4}   {s.mean:.4f}   {s.minimum:.4f}  {s.failures:>4}"
            f"  {s.missed:>6}  {conf:9.3f}"
        )


def kind_table(frames: Sequence[Frame]) -> None:
    """Accuracy by what is printed on the page, tuning conditions only (a table over the
    held-out frames would show them to whoever tunes)."""
    groups: dict[str, list[Frame]] = {}
    for f in frames:
        if f.condition not in HELD_OUT:
            groups.setdefault(f.kind, []).append(f)
    print("\n  page kind (tuning)   n   mean JI   min JI  fail  missed")
    for kind, group in sorted(groups.items()):
        s = Summary.of(group)
        figures = f"{s.mean:.4f}   {s.minimum:.4f}  {s.failures:>4}  {s.missed:>6}"
        print(f"  {kind:<16} {s.n:>4}   {figures}")


def verdict(label: str, frames: Sequence[Frame]) -> bool:
    """The accuracy targets for a group of frames; True when all are met."""
    if not frames:
        return True
    s = Summary.of(frames)
    found = worst(frames)
    assert found is not None
    cond, low = found
    ok = s.mean >= TARGET_MEAN and s.fail_share <= TARGET_FAIL and low >= TARGET_WORST
    print(
        f"  {label:<9} n {s.n:>4}  mean JI {s.mean:.4f} (≥ {TARGET_MEAN})  "
        f"failures {s.fail_share:6.2%} (≤ {TARGET_FAIL:.0%}), {s.missed} missed  "
        f"worst {low:.4f} {cond.value} (≥ {TARGET_WORST})  {'MET' if ok else 'NOT MET'}"
    )
    return ok


def accuracy(label: str, frames: Sequence[Frame]) -> bool:
    """Tuning and held-out conditions apart, then together; True when all targets are met."""
    tuning = [f for f in frames if f.condition not in HELD_OUT]
    held = [f for f in frames if f.condition in HELD_OUT]
    if tuning:
        condition_table(f"{label}: tuning conditions", tuning)
        kind_table(tuning)
    if held:
        condition_table(f"{label}: HELD-OUT conditions (score only, never tune on these)", held)
    print(f"\n{label} accuracy (JI < 0.9 is a failure, a missed page scores 0)")
    ok = verdict("tuning", tuning) & verdict("held-out", held)
    if tuning and held:
        ok &= verdict("overall", frames)
    return ok


def timing(label: str, frames: Sequence[Frame]) -> bool:
    """Wall and CPU milliseconds of detect + rectify; True when p95 meets its target."""
    if not frames:
        return True
    wall = [f.wall_ms for f in frames]
    cpu = [f.cpu_ms for f in frames]
    gen = [f.gen_ms for f in frames]
    target = TARGET_P95_MS[label]
    ok = pct(wall, 95) <= target
    print(
        f"  {label:<6} detect+rectify wall p50 {pct(wall, 50):6.1f} ms  p95 {pct(wall, 95):6.1f} ms"
        f"  max {max(wall):6.1f} ms (p95 ≤ {target:.0f} ms: {'MET' if ok else 'NOT MET'});"
        f"  CPU mean {statistics.fmean(cpu):6.1f} ms  p95 {pct(cpu, 95):6.1f} ms per frame;"
        f"  generation {statistics.fmean(gen):.0f} ms per frame"
    )
    return ok


def calibration(frames: Sequence[Frame]) -> None:
    """Would a confidence threshold make the kiosk ask the citizen exactly when it should?

    A wrong quad (JI < 0.9) with confidence below the threshold is caught (the citizen is
    asked to adjust the corners); a good quad below it is asked needlessly. Missed pages are
    left out: the kiosk knows it found nothing."""
    found = [f for f in frames if not f.missed]
    wrong = [f for f in found if f.failed]
    good = [f for f in found if not f.failed]
    print(
        f"\nconfidence calibration (all frames scored above): {len(wrong)} wrong quads "
        f"(JI < 0.9), {len(good)} good, {len(frames) - len(found)} missed pages left out"
    )
    print("  threshold   wrong quads caught (asked)   good quads asked needlessly")
    for t in THRESHOLDS:
        caught = sum(f.confidence < t for f in wrong)
        needless = sum(f.confidence < t for f in good)
        print(f"  {t:9.1f}   {_share(caught, len(wrong)):>26}   {_share(needless, len(good)):>27}")


def _share(k: int, n: int) -> str:
    return f"{k}/{n} = {k / n:6.1%}" if n else "—"
