"""Printing the page-detection benchmark: per-condition tables, targets, timing, calibration."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from benchmarks.doc_rectify_run import (
    ASK_BELOW,
    FAIL_BELOW,
    Frame,
    Summary,
    by_condition,
    pct,
    worst,
)
from benchmarks.doc_rectify_sides import UNSEEN_STEP
from simulators.doc_camera import HELD_OUT

TARGET_MEAN, TARGET_WORST, TARGET_FAIL = 0.98, 0.95, 0.02
TARGET_P95_MS = {"1080p": 100.0, "12 MP": 200.0}
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def condition_table(title: str, frames: Sequence[Frame]) -> None:
    """One line per condition: n, mean and min JI, failures, missed, mean confidence, how
    many the kiosk would ask about, how many have a side not in the pixels."""
    print(f"\n{title}")
    print("  condition           n   mean JI   min JI  fail  missed  mean conf  asked  unseen")
    for cond, group in by_condition(frames).items():
        s = Summary.of(group)
        confs = [f.confidence for f in group if not f.missed]
        conf = statistics.fmean(confs) if confs else math.nan
        asked, unseen = sum(f.asked for f in group), sum(f.unseen for f in group)
        print(
            f"  {cond.value:<16} {s.n:>4}   {s.mean:.4f}   {s.minimum:.4f}  {s.failures:>4}"
            f"  {s.missed:>6}  {conf:9.3f}  {asked:>5}  {unseen:>6}"
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
    failures_seen(tuning, held)
    return ok


def failures_seen(tuning: Sequence[Frame], held: Sequence[Frame]) -> None:
    """The failures split by whether the page's four sides are in the pixels at all (a
    weakest side stepping by ≥ ``UNSEEN_STEP`` grey levels), and by whether the kiosk asks
    the citizen (confidence below ``ASK_BELOW``, or no page): a failure that is asked about
    costs the citizen a touch, a silent one a wrong scan."""
    print(
        f"  failures (JI < {FAIL_BELOW}): sides in the pixels (weakest step ≥ {UNSEEN_STEP:g}"
        f" grey level) or not; asked (confidence < {ASK_BELOW}, or no page) or silent"
    )
    for label, group in (("tuning", tuning), ("held-out", held)):
        if not group:
            continue
        failed = [f for f in group if f.failed]
        unseen = [f for f in failed if f.unseen]
        seen = [f for f in failed if not f.unseen]
        print(
            f"  {label:<9} n {len(group):>4}  failed {len(failed)}: {len(seen)} with all sides "
            f"seen ({sum(f.asked for f in seen)} asked), {len(unseen)} with a side unseen "
            f"({sum(f.asked for f in unseen)} asked); frames with a side unseen "
            f"{sum(f.unseen for f in group)}; good quads asked "
            f"{sum(f.asked for f in group if not f.failed)}"
        )


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
