"""A full or slow outbox never holds back a job's ack behind telemetry: the publisher sends
waiting acks first and lets telemetry use at most half of its in-flight slots."""

from __future__ import annotations

import asyncio
from pathlib import Path

from edge_agent.config import OutboxSettings
from edge_agent.link.outbox import Entry, Outbox
from edge_agent.link.publisher import Publisher
from protocols.topics import DeviceChannel
from tests.agent.test_outbox import message, number

ACK, TELE = DeviceChannel.ACK, DeviceChannel.TELE


async def test_a_broker_slow_to_acknowledge_telemetry_still_gets_the_ack(tmp_path: Path) -> None:
    """Telemetry publishes that never get their PUBACK (a congested uplink) fill at most half
    of ``max_inflight``; an ack stored afterwards is sent at once."""
    box = Outbox(tmp_path / "outbox.sqlite3", OutboxSettings(max_inflight=4), memory_max=10)
    publisher = Publisher(box, max_inflight=4)
    started: list[Entry] = []
    ack_sent, tele_started = asyncio.Event(), asyncio.Event()
    stuck = asyncio.Event()  # never set: telemetry's PUBACK does not come

    async def send(entry: Entry) -> None:
        started.append(entry)
        if entry.channel is ACK:
            ack_sent.set()
            return
        tele_started.set()
        await stuck.wait()

    for n in range(20):
        assert box.put(TELE, *message(TELE, n))
    task = asyncio.create_task(publisher.run(send))
    try:
        async with asyncio.timeout(10):
            await tele_started.wait()  # telemetry is in flight, and stays there
            assert box.put(ACK, *message(ACK, 100))
            publisher.notify()
            await ack_sent.wait()
    finally:
        task.cancel()
        box.close()
    tele = [number(e) for e in started if e.channel is TELE]
    assert tele == [0, 1]  # half of the slots, in order; the rest wait their turn
    assert len(box) == 20  # nothing acknowledged but the ack


async def test_a_full_outbox_takes_the_ack_and_sends_it_first(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite3", OutboxSettings(max_rows=10), memory_max=10)
    for n in range(10):
        assert box.put(TELE, *message(TELE, n))
    assert box.put(ACK, *message(ACK, 100))  # full of telemetry: the oldest batch makes room
    assert box.counters["shed_tele"] == 1 and len(box) == 10
    publisher = Publisher(box, max_inflight=16)
    order: list[Entry] = []

    async def send(entry: Entry) -> None:
        order.append(entry)

    task = asyncio.create_task(publisher.run(send))
    try:
        async with asyncio.timeout(10):
            await publisher.idle.wait()
    finally:
        task.cancel()
        box.close()
    assert [(e.channel, number(e)) for e in order] == [
        (ACK, 100),
        *((TELE, n) for n in range(1, 10)),
    ]
