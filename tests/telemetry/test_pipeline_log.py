"""Bad input is logged once per device and reason (a flood must not flood the log), and
counted every time."""

from __future__ import annotations

import logging

import pytest

from cloud.clocks import DeviceClocks
from cloud.telemetry.pipeline import TelemetryPipeline
from cloud.telemetry.validate import Limits
from protocols.envelope import wall_ms
from protocols.messages import Metric, TelemetryBody
from tests.telemetry.kit import HHL, Switch


def body(**values: float) -> TelemetryBody:
    now = wall_ms()
    return TelemetryBody(
        metrics=[Metric(name=k.replace("__", "."), value=v, ts=now) for k, v in values.items()]
    )


def test_each_device_and_reason_is_logged_once_and_counted_always(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pipeline = TelemetryPipeline(Switch(None), None, DeviceClocks(2000), Limits())  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="cloud.telemetry.pipeline"):
        for _ in range(3):
            pipeline.check("k1", "kiosk", HHL, body(sys__disk_free_mb=-1))
        pipeline.check("k2", "kiosk", HHL, body(sys__disk_free_mb=-1))
        pipeline.check("k1", "kiosk", HHL, body(sys__disk_free_mb=-1, sys__cpu_pct=float("nan")))
    told = [r.getMessage() for r in caplog.records]
    assert len(told) == 3, told  # k1 negative; k2 negative; k1 non_finite (with negative)
    assert "k1" in told[0] and "negative" in told[0] and "k2" in told[1]
    assert "non_finite" in told[2]
    assert pipeline.stats()["bad_points"] == {"negative": 5, "non_finite": 1}
