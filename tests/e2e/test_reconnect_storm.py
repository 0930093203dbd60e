"""The reconnect-storm benchmark still runs: 50 real agent links, a broker SIGKILLed and back.

Only correctness is asserted (every agent back, no QoS 1 message lost); timings are for the
benchmark's own output (docs/benchmarks.md), never for a test on a shared machine.
"""

from __future__ import annotations

import pytest

from benchmarks import reconnect_storm
from tests.conftest import mosquitto_binary

pytestmark = pytest.mark.mosquitto


def test_quick_storm_loses_nothing() -> None:
    mosquitto_binary()  # the benchmark starts its own; without one: skip here, fail in CI
    result = reconnect_storm.main(
        [
            "--quick",
            "--agents",
            "50",
            "--interval",
            "0.5",
            "--steady",
            "2",
            "--down",
            "1",
            "--after",
            "1",
            "--prefix",
            "storm-test",
        ]
    )
    assert result.agents == 50
    assert sum(result.connects_per_s) >= 50  # every agent made a new session after the restart
    assert result.queued >= 50 * 4
    assert result.lost == 0
    assert result.received >= result.queued
