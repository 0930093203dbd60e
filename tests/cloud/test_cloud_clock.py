"""A device whose clock runs five minutes ahead: the API shows the skew, events are corrected."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from cloud.clocks import MIN_SAMPLES
from cloud.settings import Settings
from protocols.envelope import Envelope, MsgType, Sender
from protocols.messages import Health
from tests.cloudkit import FakeDevice, running_cloud

AHEAD_MS = 5 * 60 * 1000


@dataclass
class ShiftedSender(Sender):
    """Stamps envelopes with a wall clock ``shift_ms`` ahead (monotonic clock untouched)."""

    shift_ms: int = 0

    def envelope(
        self,
        type_: MsgType,
        body: BaseModel,
        *,
        corr: str | None = None,
        ttl_ms: int | None = None,
    ) -> Envelope[Any]:
        env = super().envelope(type_, body, corr=corr, ttl_ms=ttl_ms)
        return env.model_copy(update={"ts": env.ts + self.shift_ms})


async def test_skewed_device_is_flagged_and_its_events_corrected(
    tmp_path: Path, mosquitto_url: str, uid: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path, mqtt_url=mosquitto_url, demo=True)
    device_id = f"skew-{uid}"
    async with (
        running_cloud(settings) as (cloud, http),
        FakeDevice(mosquitto_url, device_id) as dev,
        cloud.hub.subscribe(f"device:{device_id}") as sub,
    ):
        sender = ShiftedSender(src=device_id, shift_ms=AHEAD_MS)
        dev.sender = sender
        caplog.set_level(logging.WARNING, logger="cloud.clocks")
        await dev.birth()  # birth + state: two samples
        assert await sub.wait_for(lambda v: v == "online", 5) == "online"
        for _ in range(MIN_SAMPLES):
            await dev.health("rp1", Health.DEGRADED, "paper near end")
        seen = [
            await sub.wait_for(lambda v: v in ("clock", "evt"), 5) for _ in range(MIN_SAMPLES + 1)
        ]
        assert sorted(map(str, seen)) == ["clock"] + ["evt"] * MIN_SAMPLES

        detail = (await http.get(f"/api/v1/devices/{device_id}")).json()
        assert detail["clock_skewed"] is True
        # the estimate exceeds the true offset by the smallest delay, well under a second here
        assert -AHEAD_MS <= detail["clock_offset_ms"] < -AHEAD_MS + 1000
        listed = (await http.get("/api/v1/devices")).json()
        assert [d["clock_skewed"] for d in listed if d["id"] == device_id] == [True]
        events = detail["events"]
        assert [e["kind"] for e in events].count("clock_skewed") == 1
        health = [e for e in events if e["kind"] == "peripheral_health"]
        assert len(health) == MIN_SAMPLES
        for e in health:
            at = datetime.fromisoformat(e["at"])
            corrected = datetime.fromisoformat(e["corrected_at"])
            reported = e["device_ts"] / 1000
            assert reported - at.timestamp() > AHEAD_MS / 1000 - 5  # raw device time is ahead
            assert at - timedelta(seconds=1) < corrected <= at
        warnings = [r for r in caplog.records if device_id in r.getMessage()]
        assert len(warnings) == 1
        assert "ahead of" in warnings[0].getMessage()

        # the device's clock is fixed (a step back): the window restarts and the flag clears
        sender.shift_ms = 0
        for _ in range(MIN_SAMPLES):
            await dev.tele(temp=20.0)
        assert await sub.wait_for(lambda v: v == "clock", 5) == "clock"
        detail = (await http.get(f"/api/v1/devices/{device_id}")).json()
        assert detail["clock_skewed"] is False
        assert 0 <= detail["clock_offset_ms"] < 1000
        assert detail["events"][0]["kind"] == "clock_ok"
        assert len([r for r in caplog.records if device_id in r.getMessage()]) == 1
