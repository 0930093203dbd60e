"""The telemetry batcher, the outbox's telemetry bound, paper codes and the clock filter."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from edge_agent.agent import Agent
from edge_agent.config import TELE_MIN_ROWS, OutboxSettings, parse_config
from edge_agent.drivers.a4_ipp import printer_health
from edge_agent.errors import ConfigError
from edge_agent.link.outbox import Outbox
from edge_agent.link.timing import CloudClock
from edge_agent.tele.batcher import TeleBatcher, split
from edge_agent.tele.peripheral_state import paper_code
from protocols.envelope import MAX_PAYLOAD_BYTES, MsgType, Sender, encode
from protocols.messages import Health, Metric, TelemetryBody
from protocols.telemetry import PaperCode
from protocols.topics import DeviceChannel
from tests.agent.tele_kit import tele_config
from tests.agent.test_outbox import message, number

ACK, TELE = DeviceChannel.ACK, DeviceChannel.TELE


async def test_a_failing_sample_is_counted_and_the_loop_goes_on() -> None:
    calls = 0
    sent: list[TelemetryBody] = []

    def sample(ts: int) -> list[Metric]:
        nonlocal calls
        calls += 1
        if calls % 2:
            raise OSError("the /proc file vanished")
        return [Metric(name="n", value=calls, ts=ts)]

    async def send(body: TelemetryBody) -> None:
        sent.append(body)

    batcher = TeleBatcher(sample, send, send_interval_s=0.01)
    task = asyncio.create_task(batcher.run())
    try:
        async with asyncio.timeout(10):
            await batcher.wait_batches(6)
    finally:
        task.cancel()
    assert batcher.errors >= 3
    assert [m.value for b in sent for m in b.metrics][:3] == [2, 4, 6]


async def test_samples_between_batches_keep_their_own_timestamps() -> None:
    sent: list[TelemetryBody] = []

    async def send(body: TelemetryBody) -> None:
        sent.append(body)

    batcher = TeleBatcher(
        lambda ts: [Metric(name="n", value=1, ts=ts)],
        send,
        send_interval_s=0.15,
        sample_interval_s=0.05,
    )
    assert batcher.samples_per_batch == 3
    task = asyncio.create_task(batcher.run())
    try:
        async with asyncio.timeout(10):
            await batcher.wait_batches(2)
    finally:
        task.cancel()
    stamps = [m.ts for m in sent[0].metrics]
    assert len(stamps) == 3 and stamps == sorted(set(stamps))
    assert sent[1].metrics[0].ts > stamps[-1]


def test_a_big_batch_is_split_under_the_message_limits() -> None:
    tags = {f"t{i}": "v" * 64 for i in range(16)}
    points = [Metric(name=f"m{i % 50}", value=i, ts=1, tags=tags) for i in range(2500)]
    bodies = split(points)
    assert [m for b in bodies for m in b.metrics] == points
    sender = Sender("dev-1")
    for body in bodies:
        assert len(body.metrics) <= 1000
        assert len(encode(sender.envelope(MsgType.TELE, body))) <= MAX_PAYLOAD_BYTES
    small = split([Metric(name="n", value=i, ts=1) for i in range(2500)])
    assert [len(b.metrics) for b in small] == [1000, 1000, 500]


@pytest.mark.parametrize(
    ("health", "reason", "code"),
    [
        (Health.OK, "", PaperCode.OK),
        (Health.DEGRADED, "near_end", PaperCode.NEAR_END),  # ESC/POS near-end sensor
        (Health.DEGRADED, "paper_low", PaperCode.NEAR_END),  # IPP media-low
        (Health.OFFLINE, "paper_out", PaperCode.OUT),  # ESC/POS and IPP media-empty
        (Health.OFFLINE, "tray_missing", PaperCode.OUT),
        (Health.DEGRADED, "toner_low", PaperCode.OK),  # it prints
        (Health.OFFLINE, "cover_open", PaperCode.UNKNOWN),
        (Health.UNKNOWN, "no_reply", PaperCode.UNKNOWN),
        (Health.OFFLINE, "unreachable: refused", PaperCode.UNKNOWN),
    ],
)
def test_paper_codes_from_the_drivers_reasons(health: Health, reason: str, code: int) -> None:
    assert paper_code(health, reason) == code


def test_an_ipp_printer_low_on_paper_and_toner_says_paper_first() -> None:
    """``peripheral.paper`` reads the one reason a health gives: low paper must not hide
    behind low toner (whatever order the printer lists them in)."""
    attrs = {"printer-state-reasons": ["toner-low-report", "media-low-report"]}
    health, reason = printer_health(attrs)
    assert (health, reason) == (Health.DEGRADED, "paper_low")
    assert paper_code(health, reason) == PaperCode.NEAR_END


def test_the_clock_filter_starts_afresh_when_our_clock_is_stepped() -> None:
    clock = CloudClock()
    assert clock.offset_ms is None
    now = 1_700_000_000_000
    clock.observe(now - 5000, 10, now + 30)  # cloud 5 s behind, 30 ms on the way
    clock.observe(now - 5000 + 100, 110, now + 100 + 10)  # a faster delivery: 10 ms
    assert clock.offset_ms == 5010
    # our clock is set 60 s ahead (an operator's mistake): the old, smaller offsets are
    # wrong now, and a minimum filter alone would keep them for its whole window
    stepped = now + 200 + 60_000
    clock.observe(now - 5000 + 200, 210, stepped + 20)
    assert clock.offset_ms == 65_000 + 20


def test_the_outbox_keeps_backlog_s_of_telemetry_and_sheds_the_oldest_beyond(
    tmp_path: Path,
) -> None:
    def rows(interval_s: float, backlog_s: float) -> int:
        tele = {"backlog_s": backlog_s}
        url = "mqtt://127.0.0.1:1"
        config = tele_config(url, "bound", tmp_path, tele_interval_s=interval_s, tele=tele)
        return config.tele_backlog_rows

    assert rows(1, 3600) == 3601  # an hour of batches, plus the one being made
    assert rows(30, 86400) == 2881  # the defaults: a day
    assert rows(60, 3600) == TELE_MIN_ROWS == 1000  # never fewer
    # the outbox's bound itself, at an hour of one-minute batches
    box = Outbox(tmp_path / "outbox.sqlite3", OutboxSettings(), memory_max=10, tele_max_rows=61)
    try:
        for n in range(61):
            assert box.put(TELE, *message(TELE, n))
            assert box.put(ACK, *message(ACK, 1000 + n))
        assert box.counters["shed_tele"] == 0  # an hour's outage loses nothing
        for n in range(61, 71):
            assert box.put(TELE, *message(TELE, n))
        assert box.counters["shed_tele"] == 10
        tele = [number(e) for e in box.after(0, 1000, tele=True)]
        assert tele == list(range(10, 71))  # the oldest went first
        assert len(box.after(0, 1000, tele=False)) == 61  # and no ack
    finally:
        box.close()


def test_a_day_of_batches_fits_the_default_outbox(tmp_path: Path) -> None:
    """The default ``[tele] backlog_s`` (a day) of a kiosk's real batches at the default
    period stays under the outbox's default soft bound, with room left for acks."""
    peripherals = [
        {"type": "escpos_network", "id": "receipt", "host": "127.0.0.1", "port": 9},
        {"type": "a4_spool", "id": "a4", "directory": str(tmp_path)},
        {"type": "call_button_serial", "id": "btn", "port": str(tmp_path / "tty")},
    ]
    raw = tele_config("mqtt://127.0.0.1:1", "size", tmp_path / "d", peripherals=peripherals)
    config = raw.model_copy(update={"tele_interval_s": 30.0})
    (tmp_path / "d").mkdir()
    agent = Agent(config)
    body = agent.telemetry()
    size = len(encode(Sender("size").envelope(MsgType.TELE, body)))
    day = config.tele_backlog_rows * size
    assert config.tele_backlog_rows == 2881
    assert day < config.outbox.max_bytes * 0.75, (size, day)
    print(f"batch {size} B, {len(body.metrics)} points; a day at 30 s: {day} B")


def test_sampling_slower_than_sending_is_refused_with_the_key(tmp_path: Path) -> None:
    raw = {
        "device_id": "k1",
        "role": "kiosk",
        "site": "qh",
        "data_dir": str(tmp_path),
        "tele_interval_s": 30,
        "tele": {"sample_interval_s": 60},
        "mqtt": {"url": "mqtt://127.0.0.1:1883"},
    }
    with pytest.raises(ConfigError, match=r"sample_interval_s \(60\) must not exceed"):
        parse_config(raw, source="agent.toml")
    raw["tele"] = {"sample_interval_s": 10, "backlog_s": 7200}
    config = parse_config(raw, source="agent.toml")
    assert config.tele.sample_interval_s == 10 and config.tele.backlog_s == 7200
