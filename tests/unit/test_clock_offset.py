"""Clock offset estimation: the minimum-delay filter and its reset on a wall-clock step."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cloud.clocks import MIN_SAMPLES, DeviceClocks
from fleet.clock import OffsetEstimator

T0 = 1_795_922_383_534  # cloud wall ms at the first message
BOOT = 3_600_000  # device monotonic ms at the first message

offsets = st.integers(-(10**9), 10**9)
delays = st.lists(st.integers(0, 30_000), min_size=1, max_size=60)
gaps = st.integers(1, 5_000)


def feed(
    est: OffsetEstimator, offset: int, delays: list[int], gap: int, start: int = 0, step: int = 0
) -> int:
    """Messages sent every ``gap`` ms from ``start``; the device wall clock is ``step`` ms
    ahead of its free-running value. Returns the send time after the last one."""
    t = start
    for d in delays:
        ts = t - offset  # device wall clock = cloud clock - offset
        est.add(ts + step, BOOT + t, t + d)
        t += gap
    return t


@given(offsets, delays, gaps)
def test_estimate_is_within_the_smallest_delay(offset: int, ds: list[int], gap: int) -> None:
    est = OffsetEstimator(window_ms=10**12)
    feed(est, offset, ds, gap, start=T0)
    assert est.offset_ms is not None
    assert offset <= est.offset_ms <= offset + min(ds)
    assert est.offset_ms == offset + min(ds)
    assert est.resets == 0


@given(offsets, delays, delays, gaps, st.integers(1001, 10**9), st.booleans())
def test_a_wall_clock_step_resets_the_window(
    offset: int, before: list[int], after: list[int], gap: int, jump: int, back: bool
) -> None:
    step = -jump if back else jump
    est = OffsetEstimator(window_ms=10**12)
    t = feed(est, offset, before, gap, start=T0)
    feed(est, offset, after, gap, start=t, step=step)
    assert est.resets == 1
    assert est.samples == len(after)
    # only samples since the step count: the device clock is now ``step`` further ahead
    assert est.offset_ms == offset - step + min(after)


@given(offsets, st.integers(0, 1000), st.integers(1, 1000))
def test_old_samples_leave_the_window(offset: int, small: int, extra: int) -> None:
    """A lucky fast sample is forgotten once it is older than the window."""
    est = OffsetEstimator(window_ms=60_000)
    est.add(T0 - offset, BOOT, T0 + small)
    est.add(T0 + 30_000 - offset, BOOT + 30_000, T0 + 30_000 + small + extra)
    assert est.offset_ms == offset + small
    est.add(T0 + 90_000 - offset, BOOT + 90_000, T0 + 90_000 + small + extra)
    assert est.offset_ms == offset + small + extra


def test_a_reboot_resets_and_small_jitter_does_not() -> None:
    est = OffsetEstimator()
    est.add(T0, BOOT, T0 + 50)
    est.add(T0 + 1000, BOOT + 1001, T0 + 1040)  # ts and mono read a ms apart: no step
    assert est.resets == 0
    assert est.offset_ms == 40
    est.add(T0 + 9000, 500, T0 + 9100)  # monotonic clock restarted: a reboot
    assert est.resets == 1
    assert est.offset_ms == 100


def test_nothing_known_leaves_times_alone() -> None:
    est = OffsetEstimator()
    assert est.offset_ms is None
    assert est.correct(T0) == T0


def test_skew_flag_needs_agreeing_samples_and_changes_once() -> None:
    clocks = DeviceClocks(warn_ms=2000)
    ahead = 300_000  # the device clock runs five minutes ahead
    changes = [
        clocks.observe("d1", T0 + i * 1000 + ahead, BOOT + i * 1000, T0 + i * 1000 + 20)
        for i in range(MIN_SAMPLES + 3)
    ]
    assert changes[: MIN_SAMPLES - 1] == [None] * (MIN_SAMPLES - 1)
    flagged = [c for c in changes if c is not None]
    assert len(flagged) == 1
    assert flagged[0].skewed
    assert flagged[0].offset_ms == -ahead + 20
    assert clocks.skewed("d1")
    assert clocks.offset_ms("d1") == -ahead + 20
    assert round(clocks.corrected("d1", T0 + ahead).timestamp() * 1000) == T0 + 20
    # the clock is fixed (a step back): the window restarts, the flag clears once
    t = T0 + 100_000
    back = [clocks.observe("d1", t + i, BOOT + 100_000 + i, t + i + 5) for i in range(5)]
    cleared = [c for c in back if c is not None]
    assert len(cleared) == 1
    assert not cleared[0].skewed
    assert not clocks.skewed("d1")
    assert clocks.offset_ms("d1") == 5
    assert clocks.offset_ms("unknown") is None
