"""The call button and rating pad simulators against docs/serial-peripherals.md, spoken to
byte by byte over their pty (no driver in between): commands split at every byte, inside the
DLE escapes; retransmissions answered again but not carried out again; an unfinished frame
abandoned at the next STX; a bad CRC never answered; NAKs where the contract owes them."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

import pytest

from edge_agent.drivers.call_button import CallButtonDriver, CallButtonSerial
from protocols.messages import Health
from protocols.serial_frames import (
    Ack,
    Beep,
    Cancel,
    Frame,
    FrameDecoder,
    FrameError,
    LedMode,
    Message,
    Nak,
    NakReason,
    RateRequest,
    SetLed,
    StatusQuery,
    decode_message,
    encode_frame,
    encode_message,
)
from simulators.call_button import CallButtonSim
from simulators.rating_pad import RatingPadSim
from simulators.serial_pty import PtyDevice

Answer = Ack | Nak


class Host:
    """The host end of a device's pty: ACKs the device's reliable frames, collects answers."""

    def __init__(self, device: PtyDevice) -> None:
        self.device = device
        self.fd = os.open(device.port_path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self.decoder = FrameDecoder()
        self.answers: list[tuple[int, Answer]] = []
        self.reliable: list[Message] = []  # what the device sent that needs an ACK
        self._arrived = asyncio.Event()
        asyncio.get_running_loop().add_reader(self.fd, self._readable)

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.fd)
        os.close(self.fd)

    def _readable(self) -> None:
        with contextlib.suppress(BlockingIOError):
            for frame in self.decoder.feed(os.read(self.fd, 4096)):
                msg = decode_message(frame) if isinstance(frame, Frame) else frame
                if isinstance(frame, FrameError) or isinstance(msg, FrameError):
                    continue
                if isinstance(msg, Ack | Nak):
                    self.answers.append((frame.seq, msg))
                elif msg.RELIABLE:
                    self.reliable.append(msg)
                    os.write(self.fd, encode_message(frame.seq, Ack()))
        self._arrived.set()

    async def ready(self) -> None:
        """The device's power-up SYNC has arrived and our ACK of it has been read: from now on
        our writes are not interleaved with ACKs (a host never splits its own frames)."""
        async with asyncio.timeout(5):
            while not self.reliable:
                self._arrived.clear()
                await self._arrived.wait()
            acked = len(encode_message(0, Ack()))
            await self.device.wait_for(lambda: self.device.bytes_received >= acked)

    async def write(self, *pieces: bytes) -> None:
        """Write each piece only after the device has read the one before."""
        for piece in pieces:
            target = self.device.bytes_received + len(piece)
            os.write(self.fd, piece)
            async with asyncio.timeout(5):
                await self.device.wait_for(lambda n=target: self.device.bytes_received >= n)

    async def byte_by_byte(self, data: bytes) -> None:
        await self.write(*(data[i : i + 1] for i in range(len(data))))

    async def answers_after(self, n: int) -> list[tuple[int, Answer]]:
        async with asyncio.timeout(5):
            while len(self.answers) < n:
                self._arrived.clear()
                await self._arrived.wait()
        return self.answers


@pytest.fixture
async def button() -> AsyncIterator[CallButtonSim]:
    async with CallButtonSim(heartbeat_s=60) as sim:
        yield sim


@pytest.fixture
async def pad() -> AsyncIterator[RatingPadSim]:
    async with RatingPadSim(heartbeat_s=60) as sim:
        yield sim


@contextlib.asynccontextmanager
async def host_of(device: PtyDevice) -> AsyncIterator[Host]:
    end = Host(device)
    try:
        await end.ready()
        yield end
    finally:
        end.close()


async def test_commands_split_inside_escapes(button: CallButtonSim) -> None:
    # SEQ 0x10 goes out as DLE 0x30 and SEQ 0x02 as DLE 0x22: each split between the two.
    led, beep = (
        encode_message(0x10, SetLed(button=3, mode=LedMode.BLINK)),
        encode_message(0x02, Beep(count=2, ms=100)),
    )
    assert b"\x10\x30" in led and b"\x10\x22" in beep
    async with host_of(button) as host:
        await host.byte_by_byte(led + beep)
        answers = await host.answers_after(2)
    assert answers == [(0x10, Ack()), (0x02, Ack())]
    assert button.leds == {3: LedMode.BLINK} and button.beeps == 2


async def test_retransmission_is_answered_not_repeated(button: CallButtonSim) -> None:
    beep = encode_message(7, Beep(count=3))
    async with host_of(button) as host:
        await host.write(beep)
        await host.answers_after(1)
        await host.write(beep)  # our ACK was "lost": the identical frame again
        answers = await host.answers_after(2)
    assert answers == [(7, Ack()), (7, Ack())]
    assert button.beeps == 3  # beeped once, not twice


async def test_unfinished_frame_is_abandoned_at_the_next_stx(button: CallButtonSim) -> None:
    cut_short = encode_message(1, SetLed(button=1, mode=LedMode.ON))[:9]
    async with host_of(button) as host:
        await host.write(
            b"\xff\x55", cut_short, encode_message(2, SetLed(button=2, mode=LedMode.ON))
        )
        answers = await host.answers_after(1)
    assert answers == [(2, Ack())] and button.leds == {2: LedMode.ON}
    assert button.rejected.get("truncated") == 1


async def test_bad_crc_is_never_answered(button: CallButtonSim) -> None:
    async with host_of(button) as host:
        await host.write(encode_message(4, Beep(), corrupt_crc=True), encode_message(5, Beep()))
        answers = await host.answers_after(1)
    assert answers == [(5, Ack())] and button.beeps == 1


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (
            encode_message(9, RateRequest(case="C1", window="3号窗口", timeout_ms=1000)),
            "unsupported",
        ),
        (encode_frame(9, 0x21, b'{"button":17,"mode":"on"}'), "bad_payload"),
        (encode_frame(9, 0x7F, b"{}"), "unsupported"),
    ],
    ids=["pad-command-to-a-button", "button-17", "unknown-type"],
)
async def test_refusals_owed_by_the_contract(
    button: CallButtonSim, frame: bytes, reason: str
) -> None:
    async with host_of(button) as host:
        await host.byte_by_byte(frame)
        answers = await host.answers_after(1)
    assert answers == [(9, Nak(reason=NakReason(reason)))]


async def test_rating_pad_session_in_pieces(pad: RatingPadSim) -> None:
    ask = RateRequest(case="GM-2024-000123", window="3号窗口", staff="张三", timeout_ms=60_000)
    async with host_of(pad) as host:
        await host.byte_by_byte(encode_message(1, StatusQuery()))
        await host.write(encode_message(2, ask))
        await host.byte_by_byte(encode_message(3, ask.model_copy(update={"case": "X-2"})))
        await host.write(encode_message(4, StatusQuery()))
        await host.byte_by_byte(encode_message(5, Cancel()))
        await host.write(encode_message(6, StatusQuery()))
        answers = dict(await host.answers_after(6))
    assert answers[1].status.state == "idle"  # type: ignore[union-attr]
    assert answers[2] == Ack() and answers[3] == Nak(reason=NakReason.BUSY)
    asking = answers[4].status  # type: ignore[union-attr]
    assert (asking.state, asking.case) == ("asking", "GM-2024-000123")
    assert answers[5] == Ack() and answers[6].status.state == "idle"  # type: ignore[union-attr]
    assert pad.canceled == ["GM-2024-000123"] and pad.answered == []


@pytest.mark.parametrize("rates", [(9600, 19200), (115200, 9600)], ids=["host-fast", "host-slow"])
async def test_a_driver_at_another_rate_hears_only_noise(rates: tuple[int, int]) -> None:
    """The device's UART and the host's port disagree: each side's bytes are noise to the
    other, so nothing the host sends is carried out and the host never sees the device."""
    device_rate, host_rate = rates
    async with CallButtonSim(heartbeat_s=0.1, baudrate=device_rate) as button:
        cfg = CallButtonSerial(
            type="call_button_serial", id="btn-1", port=button.port_path, baudrate=host_rate,
            heartbeat_s=0.1, ack_timeout_s=0.1, reconnect_min_s=0.02, reconnect_max_s=0.2,
        )  # fmt: skip
        async with CallButtonDriver(cfg) as driver:
            async with asyncio.timeout(5):
                await button.wait_for(lambda: button.misframed > 0)  # the host's SYNC
                health = await driver.wait_health(Health.OFFLINE)
        assert health == (Health.OFFLINE, "no_heartbeat")  # the heartbeats were noise to it
        assert button.received == []


async def test_a_driver_at_the_devices_rate_is_heard() -> None:
    async with CallButtonSim(heartbeat_s=0.1, baudrate=19200) as button:
        cfg = CallButtonSerial(
            type="call_button_serial", id="btn-1", port=button.port_path, baudrate=19200,
            heartbeat_s=0.1, ack_timeout_s=0.1, reconnect_min_s=0.02, reconnect_max_s=0.2,
        )  # fmt: skip
        async with CallButtonDriver(cfg) as driver:
            async with asyncio.timeout(5):
                await driver.wait_health(Health.OK)
        assert button.misframed == 0
