"""The ID-card reader driver against the GA 467 simulator over a real pty (pyserial)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
import serial

from edge_agent.drivers.idcard_errors import (
    IdCardError,
    IdCardGarbled,
    IdCardRefused,
    IdCardTimeout,
    IdCardUnplugged,
)
from edge_agent.drivers.idcard_reader import IdCardReader, IdCardReaderConfig
from protocols.idcard import (
    FIND_CARD,
    READ_TEXT_PHOTO,
    SELECT_CARD,
    FrameDecoder,
    Response,
    encode_request,
)
from protocols.messages import Health
from simulators.idcard_reader import SAMPLE_CARDS, Faults, IdCardReaderSim


@pytest.fixture
async def sim() -> AsyncIterator[IdCardReaderSim]:
    async with IdCardReaderSim(SAMPLE_CARDS, faults=Faults(seed=7)) as reader_sim:
        yield reader_sim


@pytest.fixture
async def reader(sim: IdCardReaderSim) -> AsyncIterator[IdCardReader]:
    cfg = IdCardReaderConfig(
        type="idcard_ga467", id="idcard-1", port=sim.port_path, timeout_s=1.0, poll_interval_s=0.02
    )
    driver = IdCardReader(cfg)
    try:
        yield driver
    finally:
        await driver.close()


def commands(sim: IdCardReaderSim) -> list[tuple[int, int]]:
    return [(r.cmd, r.para) for r in sim.requests]


async def test_read_a_card(sim: IdCardReaderSim, reader: IdCardReader) -> None:
    sim.insert(0)
    read = await reader.read_card(timeout_s=2)
    assert read is not None
    assert read.text == SAMPLE_CARDS[0] and read.photo == sim.photo and len(read.photo) == 1024
    assert commands(sim) == [FIND_CARD, SELECT_CARD, READ_TEXT_PHOTO]
    assert (reader.reads_ok, reader.reads_failed) == (1, 0)
    assert await reader.health() == (Health.OK, "")


async def test_no_card_returns_none(sim: IdCardReaderSim, reader: IdCardReader) -> None:
    assert await reader.read_card(timeout_s=0.1) is None
    assert len(sim.requests) >= 2 and set(commands(sim)) == {FIND_CARD}
    assert (reader.reads_ok, reader.reads_failed) == (0, 0)


async def test_card_placed_while_waiting_then_removed(
    sim: IdCardReaderSim, reader: IdCardReader
) -> None:
    waiting = asyncio.create_task(reader.read_card(timeout_s=5))
    await sim.wait_for_requests(1)  # the driver is polling an empty reader
    sim.insert(2)
    read = await waiting
    assert read is not None and read.text.id_number.endswith("X")
    sim.remove()
    assert await reader.read_card(timeout_s=0.05) is None
    sim.insert(1)
    read = await reader.read_card(timeout_s=1)
    assert read is not None and read.text.valid_until == "长期"
    assert reader.reads_ok == 2


async def test_bad_checksum_is_a_clear_error_then_recovers(
    sim: IdCardReaderSim, reader: IdCardReader
) -> None:
    sim.insert(0)
    sim.faults.bad_checksum = True
    with pytest.raises(IdCardGarbled) as caught:
        await reader.read_card(timeout_s=1)
    assert caught.value.reason == "bad_checksum"
    assert "checksum" in str(caught.value) and "idcard-1" in str(caught.value)
    assert await reader.health() == (Health.DEGRADED, "bad_checksum")
    sim.faults.bad_checksum = False
    assert await reader.health() == (Health.OK, "")
    assert await reader.read_card(timeout_s=1) is not None
    assert (reader.reads_ok, reader.reads_failed, reader.failures["bad_checksum"]) == (1, 1, 1)


async def test_truncated_reply_times_out_naming_the_reason(
    sim: IdCardReaderSim, reader: IdCardReader
) -> None:
    sim.insert(1)
    sim.faults.truncate = True
    with pytest.raises(IdCardTimeout) as caught:
        await reader.read_card(timeout_s=1)
    assert caught.value.reason == "truncated"
    assert "truncated" in str(caught.value) and "1.0 s" in str(caught.value)
    sim.faults.truncate = False
    read = await reader.read_card(timeout_s=1)
    assert read is not None and read.text == SAMPLE_CARDS[1]


async def test_silent_reader(sim: IdCardReaderSim, reader: IdCardReader) -> None:
    sim.faults.no_reply = True
    assert await reader.health() == (Health.OFFLINE, "no_reply")
    with pytest.raises(IdCardTimeout) as caught:
        await reader.read_card(timeout_s=1)
    assert caught.value.reason == "no_reply"


async def test_sam_fault(sim: IdCardReaderSim, reader: IdCardReader) -> None:
    sim.insert(0)
    sim.faults.sam_fault = True
    assert await reader.health() == (Health.DEGRADED, "sam_fault")
    with pytest.raises(IdCardRefused) as caught:
        await reader.read_card(timeout_s=1)
    assert (caught.value.reason, caught.value.status) == ("sam_fault", 0x60)
    assert "00 00 60" in str(caught.value)
    sim.faults.sam_fault = False
    assert await reader.health() == (Health.OK, "")


async def test_unplugged(sim: IdCardReaderSim, reader: IdCardReader) -> None:
    assert await reader.health() == (Health.OK, "")  # the port is open now
    sim.unplug()
    assert sim.unplugged
    with pytest.raises(IdCardUnplugged) as caught:
        await reader.read_card(timeout_s=1)
    assert caught.value.reason == "unplugged" and "I/O error" in str(caught.value)
    health, reason = await reader.health()
    assert health is Health.OFFLINE
    # normally "port_unavailable"; another process may have been given the pts number since
    assert reason in {"port_unavailable", "no_reply"}
    assert reader.failures["unplugged"] == 1


async def test_missing_port() -> None:
    cfg = IdCardReaderConfig(type="idcard_ga467", id="idcard-9", port="/dev/kfleet-no-such-tty")
    driver = IdCardReader(cfg)
    assert await driver.health() == (Health.OFFLINE, "port_unavailable")
    with pytest.raises(IdCardUnplugged, match="cannot be opened"):
        await driver.read_card(timeout_s=0.1)
    await driver.close()


async def test_garble_rate_is_seeded(sim: IdCardReaderSim, reader: IdCardReader) -> None:
    sim.insert(0)
    sim.faults.garble_rate = 1.0
    with pytest.raises(IdCardError) as caught:
        await reader.read_card(timeout_s=1)
    assert caught.value.reason in {"bad_checksum", "bad_length", "truncated"}
    sim.faults.garble_rate = 0.0
    assert await reader.read_card(timeout_s=1) is not None


def raw_exchange(path: str, frame: bytes) -> Response:
    with serial.Serial(path, 115200, timeout=2) as port:
        port.write(frame)
        decoder = FrameDecoder()
        while True:
            for item in decoder.feed(port.read(port.in_waiting or 1)):
                assert isinstance(item, Response), item
                return item


async def test_simulator_rejects_bad_requests(sim: IdCardReaderSim) -> None:
    unknown = await asyncio.to_thread(raw_exchange, sim.port_path, encode_request(0x20, 0x03))
    assert unknown.sw3 == 0x21
    corrupt = bytearray(encode_request(0x11, 0xFF))
    corrupt[-1] ^= 1
    bad = await asyncio.to_thread(raw_exchange, sim.port_path, bytes(corrupt))
    assert bad.sw3 == 0x10
    too_short = bytes.fromhex("AAAAAA9669 0001 00")
    assert (await asyncio.to_thread(raw_exchange, sim.port_path, too_short)).sw3 == 0x11


async def test_personal_data_never_logged(
    sim: IdCardReaderSim, reader: IdCardReader, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    card = sim.insert(0)
    read = await reader.read_card(timeout_s=1)
    assert read is not None
    sim.faults.bad_checksum = True
    with pytest.raises(IdCardGarbled) as caught:
        await reader.read_card(timeout_s=1)
    secrets = (card.name, card.address, card.id_number, card.id_number[6:14])
    texts = [r.getMessage() for r in caplog.records]
    texts += [repr(read), str(read), repr(read.text), str(read.text), str(caught.value)]
    assert any("王*" in t for t in texts)  # the masked card was logged
    for text in texts:
        for secret in secrets:
            assert secret not in text, text
    assert "6328**********0137" in repr(read) and "photo=<1024 B>" in repr(read)
