"""Liveness: a device quiet for three heartbeats is silent, whatever its last state said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fleet.liveness import Liveness, liveness

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_a_device_quiet_for_three_heartbeats_is_silent_though_it_said_online() -> None:
    view = liveness(True, NOW - timedelta(seconds=31), 10.0, NOW)
    assert view.state is Liveness.SILENT
    assert view.since == NOW - timedelta(seconds=1)
    assert "more than 3 heartbeats of 10 s" in view.reason


def test_within_three_heartbeats_it_is_online_and_offline_stays_offline() -> None:
    assert liveness(True, NOW - timedelta(seconds=29), 10.0, NOW).state is Liveness.ONLINE
    assert liveness(False, NOW - timedelta(hours=5), 10.0, NOW).state is Liveness.OFFLINE
    assert liveness(True, None, 10.0, NOW).state is Liveness.NEVER_SEEN


def test_an_agent_that_names_no_heartbeat_gets_the_default_period() -> None:
    assert liveness(True, NOW - timedelta(seconds=179), None, NOW).state is Liveness.ONLINE
    assert liveness(True, NOW - timedelta(seconds=181), None, NOW).state is Liveness.SILENT
