"""The ID-card reader simulator answers the whole GA 467 command set as a certified reader
does (not ``21`` for the commands kfleet's driver happens not to use), keeps the card's
find → select → read sequence, and takes requests in any pieces, over a real pty."""

from __future__ import annotations

import asyncio
import contextlib
import os
import termios
from collections.abc import AsyncIterator

import pytest

from edge_agent.drivers.idcard_errors import IdCardError
from edge_agent.drivers.idcard_reader import IdCardReader, IdCardReaderConfig
from protocols.idcard import (
    FIND_CARD,
    PHOTO_LEN,
    READ_TEXT_PHOTO,
    SELECT_CARD,
    TEXT_LEN,
    FrameDecoder,
    Response,
    Status,
    build_text_block,
    encode_request,
    parse_text_block,
)
from simulators.idcard_reader import SAMPLE_CARDS, Faults, IdCardReaderSim


class Host:
    """The host end of the pty: writes requests (in pieces) and collects whole replies."""

    def __init__(self, sim: IdCardReaderSim) -> None:
        self.sim = sim
        self.fd = os.open(sim.port_path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self.decoder = FrameDecoder("to_host")
        self.replies: list[Response] = []
        self._arrived = asyncio.Event()
        asyncio.get_running_loop().add_reader(self.fd, self._readable)

    def set_speed(self, rate: int) -> None:
        """Set the host's port to ``rate`` baud (as pyserial does on open)."""
        attrs = termios.tcgetattr(self.fd)
        attrs[4] = attrs[5] = getattr(termios, f"B{rate}")
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.fd)
        os.close(self.fd)

    def _readable(self) -> None:
        with contextlib.suppress(BlockingIOError):
            for item in self.decoder.feed(os.read(self.fd, 65536)):
                assert isinstance(item, Response), item
                self.replies.append(item)
        self._arrived.set()

    async def send(self, *pieces: bytes) -> None:
        """Write each piece only after the reader has read the one before."""
        for piece in pieces:
            target = self.sim.bytes_received + len(piece)
            os.write(self.fd, piece)
            await self.sim.wait_for_bytes(target)

    async def replies_after(self, n: int) -> list[Response]:
        async with asyncio.timeout(5):
            while len(self.replies) < n:
                self._arrived.clear()
                await self._arrived.wait()
        return self.replies[:n]

    async def ask(self, cmd: int, para: int, data: bytes = b"") -> Response:
        before = len(self.replies)
        await self.send(encode_request(cmd, para, data))
        return (await self.replies_after(before + 1))[before]


@pytest.fixture
async def sim() -> AsyncIterator[IdCardReaderSim]:
    async with IdCardReaderSim(SAMPLE_CARDS, faults=Faults(seed=3)) as reader_sim:
        yield reader_sim


@pytest.fixture
async def host(sim: IdCardReaderSim) -> AsyncIterator[Host]:
    end = Host(sim)
    try:
        yield end
    finally:
        end.close()


async def select(host: Host) -> None:
    assert (await host.ask(*FIND_CARD)).sw3 == Status.CARD_FOUND
    assert (await host.ask(*SELECT_CARD)).sw3 == Status.OK


async def test_sam_commands_are_answered(sim: IdCardReaderSim, host: Host) -> None:
    reset = await host.ask(0x10, 0xFF)
    sam_id = await host.ask(0x12, 0xFF)
    frame_size = await host.ask(0x61, 0xFF, b"\x50")
    assert (reset.sw3, reset.data) == (Status.OK, b"")
    assert (sam_id.sw3, len(sam_id.data)) == (Status.OK, 16)
    assert sam_id.data == (await host.ask(0x12, 0xFF)).data  # the SAM's own id, stable
    assert frame_size.sw3 == Status.OK


@pytest.mark.parametrize(("para", "baud"), [(1, 57600), (4, 9600)])
async def test_set_baud_rate(sim: IdCardReaderSim, host: Host, para: int, baud: int) -> None:
    """Answered at the old rate, then the reader listens at the new one only."""
    assert (await host.ask(0x60, para)).sw3 == Status.OK
    assert sim.baudrate == baud
    await host.send(encode_request(0x11, 0xFF))  # still at 115200: framing errors, no answer
    assert sim.misframed > 0 and len(sim.requests) == 1
    host.set_speed(baud)
    assert (await host.ask(0x11, 0xFF)).sw3 == Status.OK
    assert (await host.ask(0x60, 0x09)).sw3 == Status.COMMAND_ERROR  # no such rate
    assert (await host.ask(0x60, 0x00)).sw3 == Status.OK and sim.baudrate == 115200


async def test_a_driver_at_the_wrong_rate_reads_nothing(sim: IdCardReaderSim) -> None:
    sim.insert(0)
    cfg = IdCardReaderConfig(
        type="idcard_ga467", id="idcard-1", port=sim.port_path, baudrate=9600, timeout_s=0.5
    )
    driver = IdCardReader(cfg)
    try:
        with pytest.raises(IdCardError):
            await driver.read_card(timeout_s=0.5)
    finally:
        await driver.close()
    assert sim.requests == [] and sim.misframed > 0


async def test_appended_address(sim: IdCardReaderSim, host: Host) -> None:
    sim.insert(0)
    await select(host)
    assert (await host.ask(0x30, 0x03)).sw3 == Status.NO_CONTENT  # the card has none
    sim.appended_address = "青海省格尔木市昆仑南路1号"
    reply = await host.ask(0x30, 0x03)
    assert (reply.sw3, len(reply.data)) == (Status.OK, 70)
    assert reply.data.decode("utf-16-le").rstrip() == sim.appended_address


@pytest.mark.parametrize("fingerprints", [b"", bytes(range(256)) * 4])
async def test_read_with_fingerprints(
    sim: IdCardReaderSim, host: Host, fingerprints: bytes
) -> None:
    card = sim.insert(1)
    sim.fingerprints = fingerprints
    await select(host)
    reply = await host.ask(0x30, 0x10)
    lengths = [int.from_bytes(reply.data[i : i + 2], "big") for i in (0, 2, 4)]
    assert (reply.sw3, lengths) == (Status.OK, [TEXT_LEN, PHOTO_LEN, len(fingerprints)])
    body = reply.data[6:]
    assert parse_text_block(body[:TEXT_LEN]) == card
    assert body[TEXT_LEN : TEXT_LEN + PHOTO_LEN] == sim.photo
    assert body[TEXT_LEN + PHOTO_LEN :] == fingerprints


async def test_select_needs_find_and_read_needs_select(sim: IdCardReaderSim, host: Host) -> None:
    sim.insert(0)
    assert (await host.ask(*SELECT_CARD)).sw3 == Status.SELECT_FAILED  # not found yet
    assert (await host.ask(*READ_TEXT_PHOTO)).sw3 == Status.READ_FAILED  # not selected
    await select(host)
    assert (await host.ask(*READ_TEXT_PHOTO)).sw3 == Status.OK
    sim.insert(2)  # another card put down: it has to be found and selected again
    assert (await host.ask(*READ_TEXT_PHOTO)).sw3 == Status.READ_FAILED
    await select(host)
    assert (await host.ask(0x10, 0xFF)).sw3 == Status.OK  # a SAM reset ends the session
    assert (await host.ask(*READ_TEXT_PHOTO)).sw3 == Status.READ_FAILED


async def test_requests_in_pieces(sim: IdCardReaderSim, host: Host) -> None:
    """Split inside the preamble, inside Len, before CHK; noise before; two in one write."""
    sim.insert(0)
    find, select_ = encode_request(*FIND_CARD), encode_request(*SELECT_CARD)
    await host.send(b"\x00\xaa\x13", find[:2], find[2:6], find[6:-1], find[-1:])
    await host.send(select_ + encode_request(*READ_TEXT_PHOTO))
    found, selected, read = await host.replies_after(3)
    assert (found.sw3, selected.sw3, read.sw3) == (Status.CARD_FOUND, Status.OK, Status.OK)
    assert read.data[4 : 4 + TEXT_LEN] == build_text_block(SAMPLE_CARDS[0])
    assert len(sim.requests) == 3  # each once


async def test_request_byte_by_byte(sim: IdCardReaderSim, host: Host) -> None:
    frame = encode_request(0x11, 0xFF)
    await host.send(*(frame[i : i + 1] for i in range(len(frame))))
    (reply,) = await host.replies_after(1)
    assert reply.sw3 == Status.OK
