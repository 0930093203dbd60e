"""An orderly bus stop loses no message it received, not even the one it was routing into a
full handler queue when the stop came (found by the rolling-restart test: one telemetry batch
in four runs went missing across a cloud restart)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiomqtt

from cloud.bus import Bus
from cloud.settings import Settings
from cloud.stats import BusStats
from protocols.envelope import Envelope, MsgType, Sender, encode
from protocols.messages import Metric, TelemetryBody
from protocols.topics import DeviceChannel, device_topic
from tests.cloudkit import FakeDevice
from tests.faults.procs import Mosquitto

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


async def test_a_message_taken_from_the_inbox_as_the_stop_cancels_is_still_handled(
    tmp_path: Path, uid: str
) -> None:
    """The rolling-restart test lost one telemetry message (3 points) in some runs: aiomqtt's
    message iterator takes the next message from the inbox in a task of its own and, when the
    connection task is cancelled before it sees that task's result, drops the message —
    which paho had acknowledged already. Here it arrives in the same loop step as the stop."""
    handled: list[str] = []

    async def handler(batch: list[tuple[str, Envelope[Any]]]) -> list[Any]:
        handled.extend(env.id for _, env in batch)
        return []

    device_id = f"race-{uid}"
    env = Sender(src=device_id).envelope(
        MsgType.TELE, TelemetryBody(metrics=[Metric(name="m", value=1.0, ts=1_000)])
    )
    arrived = aiomqtt.Message(device_topic(device_id, DeviceChannel.TELE), encode(env), 1,
                              False, 1, None)  # fmt: skip
    with Mosquitto(tmp_path / "broker") as broker:  # private: no other test's retained messages
        await broker.start()
        settings = Settings.model_validate(
            {"data_dir": tmp_path, "mqtt_url": broker.url, "bus_workers": 1,
             "mqtt_session": "persistent", "mqtt_client_id": f"cloud-{uid}"}
        )  # fmt: skip
        bus = Bus(settings, BusStats(None), handler)
        runner = asyncio.create_task(bus.run())
        try:
            async with asyncio.timeout(30):
                await bus.ready.wait()  # the connection task now waits for the next message
                bus._inbox.put_nowait(arrived)  # as paho's on_message does (then it PUBACKs)
                await bus.stop()  # cancels the connection task in this same loop step
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
    assert handled == [env.id]
