"""Bad input from a device is refused or clamped and counted, never stored as truth; the
cloud's tags win over the device's."""

from __future__ import annotations

import pytest

from cloud.telemetry.validate import Bad, Limits, Validator, Verdict, cloud_tags_of
from protocols.messages import Metric
from tests.telemetry.kit import HHL, MIN, T0

NOW = T0
TAGS = cloud_tags_of("k1", "kiosk", HHL)


def m(name: str, value: float, ts: int = NOW, **tags: str) -> Metric:
    return Metric(name=name, value=value, ts=ts, tags=tags)


def check(*metrics: Metric, offset: int | None = None) -> Verdict:
    return Validator(Limits()).check(list(metrics), TAGS, NOW, offset)


@pytest.mark.parametrize(
    ("metric", "why"),
    [
        (m("sys.cpu_pct", float("nan")), Bad.NON_FINITE),
        (m("sys.temp_c", float("inf")), Bad.NON_FINITE),
        (m("sys.disk_free_mb", float("-inf")), Bad.NON_FINITE),
        (m("sys.disk_free_mb", -1.0), Bad.NEGATIVE),
        (m("peripheral.pages", -3, peripheral="receipt"), Bad.NEGATIVE),
        (m("link.rtt_ms", -0.5), Bad.NEGATIVE),
        (m("sys.disk_pct", 250.0), Bad.OUT_OF_RANGE),
        (m("sys.cpu_pct", -40.0), Bad.OUT_OF_RANGE),
        (m("sys.temp_c", 900.0), Bad.OUT_OF_RANGE),
        (m("peripheral.paper", 7), Bad.NOT_A_CODE),
        (m("peripheral.health", 1.5), Bad.NOT_A_CODE),
        (m("CPU load", 1.0), Bad.BAD_NAME),
        (m("peripheral.Pages!", 1.0), Bad.BAD_NAME),
        (m("sys..cpu", 1.0), Bad.BAD_NAME),
        (m("sys.cpu_pct", 5.0, ts=NOW + 365 * 24 * 60 * MIN), Bad.FUTURE),
        (m("sys.cpu_pct", 5.0, ts=NOW + 6 * MIN), Bad.FUTURE),
        (m("sys.cpu_pct", 5.0, ts=NOW - 8 * 24 * 60 * MIN), Bad.TOO_OLD),
        (m("sys.cpu_pct", 5.0, ts=0), Bad.TOO_OLD),
    ],
)
def test_each_kind_of_bad_value_is_refused_and_counted(metric: Metric, why: Bad) -> None:
    good = m("sys.mem_pct", 50.0)
    v = Validator(Limits())
    verdict = v.check([metric, good], TAGS, NOW)
    assert [p.name for p in verdict.points] == ["sys.mem_pct"]
    assert verdict.bad == {why: 1}
    assert v.counts == {why: 1}


def test_a_percentage_a_little_past_its_range_is_clamped_and_counted() -> None:
    verdict = check(m("sys.cpu_pct", 100.4), m("sys.disk_pct", -0.2), m("sys.mem_pct", 100.0))
    assert [p.value for p in verdict.points] == [100.0, 0.0, 100.0]
    assert verdict.bad == {Bad.CLAMPED: 2}


def test_good_values_pass_unchanged() -> None:
    verdict = check(
        m("clock.offset_ms", -1500.0),
        m("sys.temp_c", -20.0),
        m("peripheral.paper", 2, peripheral="receipt", kind="receipt_printer"),
        m("peripheral.errors.unplugged", 0, peripheral="receipt"),
        m("sys.cpu_pct", 5.0, ts=NOW + 4 * MIN),
        m("sys.cpu_pct", 5.0, ts=NOW - 6 * 24 * 60 * MIN),
        m("jobs_succeeded", 12),  # an agent's own counter: a well-formed name of its own
    )
    assert len(verdict.points) == 7 and not verdict.bad


def test_a_device_clock_known_to_run_ahead_is_not_refused_for_it() -> None:
    ahead = m("sys.cpu_pct", 5.0, ts=NOW + 10 * MIN)
    assert check(ahead).bad == {Bad.FUTURE: 1}
    # cloud minus device = -10 min: the device runs 10 min ahead, its point is "now"
    assert len(check(ahead, offset=-10 * MIN).points) == 1


def test_the_cloud_tags_win_over_the_device_tags() -> None:
    forged = m("peripheral.paper", 0, peripheral="receipt", device="k9", site="qh/xn", site_l1="x")
    verdict = check(forged)
    [p] = verdict.points
    assert dict(p.tags) == {
        "peripheral": "receipt",
        "device": "k1",
        "role": "kiosk",
        "site": HHL,
        "site_l1": "qh",
        "site_l2": "qh/hx",
        "site_l3": "qh/hx/golmud",
        "site_l4": HHL,
    }
    assert verdict.bad == {Bad.RESERVED_TAG: 1}


def test_a_flood_of_one_series_is_cut_at_the_limit_per_minute_but_a_replay_passes() -> None:
    v = Validator(Limits(per_series_min=60))
    flood = [m("sys.cpu_pct", 1.0, ts=NOW + i) for i in range(100)]  # 100 in one minute
    other = [m("sys.cpu_pct", 1.0, ts=NOW, peripheral="x")]  # another series: its own room
    verdict = v.check(flood + other, TAGS, NOW)
    assert len(verdict.points) == 61 and verdict.bad == {Bad.FLOOD: 40}
    assert v.check([m("sys.cpu_pct", 2.0, ts=NOW + 500)], TAGS, NOW).bad == {Bad.FLOOD: 1}
    # an hour of outage replayed: one point every 10 s, spread over 60 minutes
    replay = [m("sys.mem_pct", 1.0, ts=NOW - 10_000 * i) for i in range(360)]
    assert len(v.check(replay, TAGS, NOW).points) == 360
    assert v.counts == {Bad.FLOOD: 41}


@pytest.mark.parametrize(
    ("name", "bad_value", "why"),
    [
        ("peripheral.pages", -3.0, Bad.NEGATIVE),  # a counter
        ("sys.disk_free_mb", -1.0, Bad.NEGATIVE),  # a size
        ("sys.cpu_pct", 250.0, Bad.OUT_OF_RANGE),  # ranged
        ("peripheral.paper", 7.0, Bad.NOT_A_CODE),  # a code
        ("jobs_succeeded", float("nan"), Bad.NON_FINITE),  # no range of its own
        ("jobs_succeeded", float("-inf"), Bad.NON_FINITE),
    ],
)
def test_a_name_seen_with_good_values_is_still_checked_every_time(
    name: str, bad_value: float, why: Bad
) -> None:
    """The validator remembers each name's rule (the fast path of ingest): a name that
    passed before gets no free pass for a bad value later."""
    v = Validator(Limits())
    assert len(v.check([m(name, 1.0)], TAGS, NOW).points) == 1
    later = v.check([m(name, bad_value, ts=NOW + 1), m(name, 2.0, ts=NOW + 2)], TAGS, NOW)
    assert [p.value for p in later.points] == [2.0]
    assert later.bad == {why: 1}


def test_the_time_bounds_move_with_the_device_clock_offset_both_ways() -> None:
    """A device 10 min behind: its point stamped 12 min ago is 2 min old on the cloud's
    clock, one stamped 7 days + 1 min ago is 7 days - 9 min old (kept), 7 days + 11 min ago
    is too old; one stamped 4 min ago by its own clock is 6 min ahead on the cloud's."""
    v = Validator(Limits())
    behind = 10 * MIN  # cloud minus device
    verdict = v.check(
        [
            m("sys.cpu_pct", 1.0, ts=NOW - 12 * MIN),
            m("sys.cpu_pct", 1.0, ts=NOW - 7 * 24 * 60 * MIN - MIN),
            m("sys.cpu_pct", 1.0, ts=NOW - 7 * 24 * 60 * MIN - 11 * MIN),
        ],
        TAGS,
        NOW,
        behind,
    )
    assert len(verdict.points) == 2 and verdict.bad == {Bad.TOO_OLD: 1}
    assert v.check([m("sys.cpu_pct", 1.0, ts=NOW - 4 * MIN)], TAGS, NOW, behind).bad == {
        Bad.FUTURE: 1
    }
