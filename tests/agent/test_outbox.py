"""The durable outbox on its own: order, bounds, shedding, restarts and a full disk."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from edge_agent.config import OutboxSettings, parse_config
from edge_agent.errors import ConfigError
from edge_agent.link.outbox import Entry, Outbox, restamp
from edge_agent.link.publisher import Publisher
from protocols.envelope import Envelope, MsgType, decode, encode, new_message_id
from protocols.jobs import AckState
from protocols.messages import AckBody, EventBody, EventKind, Metric, TelemetryBody
from protocols.topics import DeviceChannel

ACK, EVT, TELE = DeviceChannel.ACK, DeviceChannel.EVT, DeviceChannel.TELE


def message(channel: DeviceChannel, n: int, pad: int = 0) -> tuple[str, bytes]:
    """(id, encoded envelope) of a small real message numbered ``n``."""
    body: Any
    if channel is ACK:
        result = {"p": "x" * pad}
        body = AckBody(job_id=f"j-{n}", state=AckState.ACCEPTED, attempt=1, result=result)
    elif channel is EVT:
        body = EventBody(kind=EventKind.MESSAGE_REJECTED, reason="t", data={"n": n, "p": "x" * pad})
    else:
        body = TelemetryBody(metrics=[Metric(name="n", value=n, ts=1)] * (1 + pad // 40))
    env: Envelope[Any] = Envelope[Any](
        id=new_message_id(),
        src="dev-1",
        seq=0,
        ts=1,
        mono=1,
        type=MsgType(channel.value),
        body=body,
    )
    return env.id, encode(env)


def number(entry: Entry) -> int:
    body = decode(entry.payload).body
    if isinstance(body, AckBody):
        return int(body.job_id[2:])
    if isinstance(body, EventBody):
        return int(body.data["n"])
    assert isinstance(body, TelemetryBody)
    return int(body.metrics[0].value)


def put(box: Outbox, channel: DeviceChannel, n: int, pad: int = 0) -> bool:
    return box.put(channel, *message(channel, n, pad))


@contextlib.contextmanager
def outbox(path: Path, **bounds: int) -> Iterator[Outbox]:
    box = Outbox(path / "outbox.sqlite3", OutboxSettings(**bounds), memory_max=10)
    try:
        yield box
    finally:
        box.close()


def test_order_ack_and_restart_replay_the_same_messages(tmp_path: Path) -> None:
    with outbox(tmp_path) as box:
        sent = [(ACK, 1), (EVT, 2), (TELE, 3), (ACK, 4), (EVT, 5)]
        for channel, n in sent:
            assert put(box, channel, n)
        entries = box.after(0, 100)
        assert [(e.channel, number(e)) for e in entries] == sent
        assert box.after(entries[1].ord, 2) == entries[2:4]
        box.ack(entries[0])
        box.ack(entries[2])  # acked out of order: only that row goes
        assert len(box) == 3
        assert box.nbytes == sum(e.size for e in (entries[1], entries[3], entries[4]))
    with outbox(tmp_path) as box:  # the agent restarted
        again = box.after(0, 100)
        assert again == [entries[1], entries[3], entries[4]]  # same ids and payloads
        assert put(box, ACK, 6)
        assert [number(e) for e in box.after(0, 100)] == [2, 4, 5, 6]


def test_restamp_changes_only_seq() -> None:
    _, payload = message(EVT, 7)
    env, restamped = decode(payload), decode(restamp(payload, 42))
    assert restamped.seq == 42
    assert restamped.model_copy(update={"seq": 0}) == env


def test_telemetry_is_shed_first_oldest_first(tmp_path: Path) -> None:
    with outbox(tmp_path, max_rows=10) as box:
        for n in range(6):
            assert put(box, TELE, n)
        for n in range(10, 14):
            assert put(box, ACK, n)
        assert put(box, EVT, 20)  # full: the oldest telemetry makes room
        assert put(box, ACK, 21)
        assert box.counters["shed_tele"] == 2
        assert [number(e) for e in box.after(0, 100)] == [2, 3, 4, 5, 10, 11, 12, 13, 20, 21]
        assert put(box, TELE, 6)  # a new batch replaces the oldest one
        assert [number(e) for e in box.after(0, 100) if e.channel is TELE] == [3, 4, 5, 6]
        assert box.counters["shed_tele"] == 3


def test_acks_and_events_exceed_the_soft_bound_up_to_the_hard_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with outbox(tmp_path, max_rows=10, max_bytes=2048, hard_max_bytes=4096) as box:
        assert put(box, TELE, 0)
        n = 1
        while put(box, EVT, n, pad=100):
            n += 1
            assert n < 100
        assert box.counters["refused_evt"] == 1
        assert "refusing a new event" in caplog.text
        assert "outbox.hard_max_bytes" in caplog.text
        assert box.nbytes <= 4096 < box.nbytes + len(message(EVT, 0, pad=100)[1])
        assert len(box) > 10  # past the soft row bound: events are never shed
        assert not any(e.channel is TELE for e in box.after(0, 100))  # shed first
        assert not put(box, TELE, 1)  # no room even after shedding: the new batch goes
        assert box.counters["shed_tele"] == 2
        for m in range(3):  # acks are never refused
            assert put(box, ACK, 100 + m, pad=300)
        assert box.nbytes > 4096
        assert box.counters["acks_over_hard_bound"] == 3
        assert [number(e) for e in box.after(0, 100)] == [*range(1, n), 100, 101, 102]


def _cap_pages(box: Outbox, pages: int | None) -> None:
    """Simulate a full disk: SQLite refuses to grow the file past ``pages`` pages."""
    db = box._db
    assert db is not None
    if pages is None:
        pages = 2**30
    db.execute(f"PRAGMA max_page_count = {pages}")


def test_full_disk_falls_back_to_memory_in_order_and_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with outbox(tmp_path) as box:
        assert put(box, ACK, 0)
        pages = box._db.execute("PRAGMA page_count").fetchone()[0]  # type: ignore[union-attr]
        _cap_pages(box, pages)
        for n in range(1, 6):  # each needs a new page: the "disk" is full
            assert put(box, EVT if n % 2 else ACK, n, pad=3000)
        assert box.counters["memory_fallback"] >= 4
        assert box.held_in_memory >= 4
        assert "database or disk is full" in caplog.text
        assert "holding it and the next ones that fail in memory" in caplog.text
        _cap_pages(box, None)  # space again: the next message goes to disk, after the others
        assert put(box, ACK, 6)
        assert "stores messages again" in caplog.text
        entries = box.after(0, 100)
        assert [number(e) for e in entries] == list(range(7))
        held = box.held_in_memory
        box.ack(entries[0])
        assert len(box) == 6
    with outbox(tmp_path) as box:  # what was only in memory is lost on a restart
        assert len(box) == 6 - held
        assert [number(e) for e in box.after(0, 100)][-1] == 6


def test_memory_fallback_is_bounded_but_keeps_acks(tmp_path: Path) -> None:
    with outbox(tmp_path) as box:
        _cap_pages(box, 1)  # nothing fits any more (beyond the pages it has)
        n = 0
        while not box.held_in_memory:
            assert put(box, EVT, n, pad=3000)
            n += 1
        results = [put(box, EVT, n + i, pad=3000) for i in range(11)]
        assert results == [True] * 9 + [False] * 2  # memory_max = 10
        assert box.counters["memory_dropped"] == 2
        assert put(box, ACK, 99, pad=3000)
        assert box.held_in_memory == 11


def test_a_really_full_disk_does_not_lose_or_crash(small_disk: Callable[[str], Path]) -> None:
    disk = small_disk("256k")
    with outbox(disk) as box:
        assert put(box, ACK, 0)
        filler = disk / "filler"
        with open(filler, "wb") as fh, contextlib.suppress(OSError):
            fh.write(b"\0" * 1024 * 1024)  # fill the disk to the last block
        results = [put(box, EVT, n, pad=4000) for n in range(1, 8)]
        assert all(results)
        assert box.counters["memory_fallback"] >= 1
        filler.unlink()
        assert put(box, ACK, 8)
        entries = box.after(0, 100)
        assert [number(e) for e in entries] == list(range(9))
        for entry in entries:
            box.ack(entry)
        assert (len(box), box.nbytes, box.held_in_memory) == (0, 0, 0)


def test_bad_bounds_name_the_key() -> None:
    raw = {
        "device_id": "d1",
        "role": "kiosk",
        "site": "qh",
        "data_dir": "/tmp/x",
        "mqtt": {"url": "mqtt://127.0.0.1"},
        "outbox": {"max_bytes": 100_000, "hard_max_bytes": 50_000},
    }
    with pytest.raises(ConfigError) as err:
        parse_config(raw, source="agent.toml")
    assert "agent.toml: outbox.hard_max_bytes: must not be below outbox.max_bytes" in str(err.value)
    raw["outbox"] = {"max_inflight": 0}
    with pytest.raises(ConfigError, match=r"outbox\.max_inflight"):
        parse_config(raw, source="agent.toml")
    assert parse_config({**raw, "outbox": {}}, source="t").outbox.max_inflight == 16


async def test_publisher_keeps_order_bounds_inflight_and_deletes_only_when_acked(
    tmp_path: Path,
) -> None:
    with outbox(tmp_path) as box:
        for n in range(6):
            assert put(box, ACK, n)
        publisher = Publisher(box, max_inflight=4)
        started: list[int] = []
        pubacks: dict[int, asyncio.Future[None]] = {}
        moved = asyncio.Event()

        async def send(entry: Entry) -> None:  # a broker that holds every PUBACK back
            started.append(number(entry))
            pubacks[number(entry)] = asyncio.get_running_loop().create_future()
            moved.set()
            await pubacks[number(entry)]

        async def progress(count: int) -> None:
            while len(started) < count:
                moved.clear()
                await moved.wait()

        task = asyncio.create_task(publisher.run(send))
        async with asyncio.timeout(5):
            await progress(4)  # a fifth would have started with these four
            assert started == [0, 1, 2, 3]  # in order, never more than four in flight
            assert len(box) == 6  # nothing acknowledged yet
            pubacks[2].set_result(None)
            await progress(5)
            assert started == [0, 1, 2, 3, 4] and len(box) == 5
            assert [number(e) for e in box.after(0, 10)] == [0, 1, 3, 4, 5]
            for n in (0, 1, 3, 4):
                pubacks[n].set_result(None)
            await progress(6)
            pubacks[5].set_result(None)
            await publisher.idle.wait()
        assert len(box) == 0 and publisher.sent == 6
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_birth_and_state_never_go_through_the_outbox(tmp_path: Path) -> None:
    with outbox(tmp_path) as box, pytest.raises(ValueError, match="state messages"):
        box.put(DeviceChannel.STATE, "x" * 10, b"{}")


@pytest.fixture(autouse=True)
def _log_level(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="edge_agent.link.outbox")
