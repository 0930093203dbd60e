"""Each metric's default aggregate (the series API's ``agg`` when the caller gives none)."""

from __future__ import annotations

import pytest

from cloud.telemetry.model import Agg, default_agg


@pytest.mark.parametrize(
    ("name", "agg"),
    [
        ("peripheral.paper", Agg.MAX),  # ok 0 and out 2 must not average to near-end 1
        ("peripheral.health", Agg.MAX),
        ("peripheral.pages", Agg.LAST),  # a running total: its value at the step's end
        ("peripheral.errors.unplugged", Agg.LAST),
        ("uptime_s", Agg.LAST),
        ("sys.uptime_s", Agg.LAST),
        ("sys.cpu_pct", Agg.AVG),
        ("sys.temp_c", Agg.AVG),
        ("link.rtt_ms", Agg.AVG),
    ],
)
def test_default_agg(name: str, agg: Agg) -> None:
    assert default_agg(name) is agg
