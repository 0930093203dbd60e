"""An orderly bus stop loses no message it received, not even the one it was routing into a
full handler queue when the stop came (found by the rolling-restart test: one telemetry batch
in four runs went missing across a cloud restart)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from cloud.bus import Bus
from cloud.settings import Settings
from cloud.stats import BusStats
from protocols.envelope import Envelope
from protocols.messages import Metric, TelemetryBody
from protocols.topics import DeviceChannel
from tests.cloudkit import FakeDevice

SENT = 6


async def test_stopping_while_a_message_waits_for_a_full_queue_loses_nothing(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    handled: list[str] = []
    gate = asyncio.Event()

    async def handler(batch: list[tuple[str, Envelope[Any]]]) -> list[Any]:
        await gate.wait()  # a slow database: the one handler holds its batch
        handled.extend(env.id for _, env in batch)
        return []

    settings = Settings.model_validate(
        {"data_dir": tmp_path, "mqtt_url": mosquitto_url, "bus_queue_size": 1, "bus_workers": 1,
         "mqtt_session": "clean"}
    )  # fmt: skip
    stats = BusStats(None)
    bus = Bus(settings, stats, handler)
    runner = asyncio.create_task(bus.run())
    sent: list[str] = []
    try:
        async with asyncio.timeout(30):
            await bus.ready.wait()
            async with FakeDevice(mosquitto_url, f"stop-{uid}", peripherals=[]) as device:
                for n in range(SENT):
                    body = TelemetryBody(metrics=[Metric(name="m", value=n, ts=1_000 + n)])
                    sent.append((await device.publish(DeviceChannel.TELE, body)).id)
                # one with the handler, one in the full queue, one in hand waiting to be put
                while stats.received < 3:  # noqa: ASYNC110  (the bus's own count, no event)
                    await asyncio.sleep(0.01)
                stopping = asyncio.create_task(bus.stop())
                await asyncio.sleep(0.05)  # let the stop cancel the connection task first
                gate.set()
                await stopping
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    assert sorted(handled) == sorted(sent)
