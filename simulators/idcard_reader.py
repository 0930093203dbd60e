"""A GA 467 resident ID-card reader on a pseudo-terminal, with fault switches.

``os.openpty()`` gives a master/slave pair: the simulator reads and writes the master fd
(``loop.add_reader``/``add_writer``, non-blocking), the driver opens ``port_path`` (the slave)
with pyserial as it would a USB-serial reader. The simulator keeps its own slave fd open so
the pty lives until :meth:`IdCardReaderSim.unplug` or ``stop``.

It answers every command GA 467 defines, as a certified reader does: ``10 FF`` reset SAM,
``11 FF`` SAM status, ``12 FF`` SAM management information (its 16-byte id), ``20 01`` find,
``20 02`` select, ``30 01`` read text+photo, ``30 03`` read the appended address (``91`` no
content when the card has none), ``30 10`` read text+photo+fingerprints (a card without
fingerprints gives length 0), ``60 0n`` set the baud rate, ``61 FF`` set the frame size. A card
must be found before it can be selected (else ``81``) and selected before it can be read (else
``41``); lifting or replacing it, or a SAM reset, starts again. Anything else is answered 0x21
(command error); a request with a bad checksum 0x10, with an impossible length 0x11. Requests
may arrive in any pieces (the frame decoder is incremental). The sample cards are fictional
people (ID numbers with valid check digits under Golmud's area code 632801).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import termios
import tty
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from types import TracebackType
from typing import Literal

from protocols.idcard import (
    FIND_CARD,
    PHOTO_LEN,
    READ_TEXT_PHOTO,
    SAM_STATUS,
    SELECT_CARD,
    FrameDecoder,
    FrameError,
    IdCardText,
    Request,
    Status,
    build_read_data,
    build_text_block,
    encode_response,
)

log = logging.getLogger(__name__)

RESET_SAM = (0x10, 0xFF)
SAM_ID = (0x12, 0xFF)
READ_APPENDED_ADDRESS = (0x30, 0x03)
READ_WITH_FINGERPRINTS = (0x30, 0x10)
SET_FRAME_SIZE = (0x61, 0xFF)
SET_BAUD = 0x60
#: ``60 PARA``: the baud rate the reader switches to after answering
BAUD_RATES = {0x00: 115200, 0x01: 57600, 0x02: 38400, 0x03: 19200, 0x04: 9600}
#: termios speed constants: a host whose port is set to another rate than the reader's
#: sees only framing errors (the simulator drops what it sends and answers nothing)
_SPEEDS = {rate: getattr(termios, f"B{rate}") for rate in BAUD_RATES.values()}
#: the appended address (``30 03``): 70 bytes of UCS-2, padded with spaces
APPENDED_ADDRESS_LEN = 70
FINGERPRINT_LEN = 1024
_READS = (READ_TEXT_PHOTO, READ_APPENDED_ADDRESS, READ_WITH_FINGERPRINTS)
Phase = Literal["placed", "found", "selected"]

_ISSUER = "格尔木市公安局"
SAMPLE_CARDS: tuple[IdCardText, ...] = (
    IdCardText(
        name="王晓明",
        sex="男",
        nation="汉",
        birth_date=date(1988, 5, 12),
        address="青海省格尔木市黄河路街道昆仑中路18号3单元201室",
        id_number="632801198805120137",
        issuer=_ISSUER,
        valid_from=date(2019, 3, 15),
        valid_until=date(2039, 3, 15),
    ),
    IdCardText(
        name="马秀兰",
        sex="女",
        nation="回",
        birth_date=date(1965, 11, 3),
        address="青海省格尔木市八一路社区团结巷7号",
        id_number="632801196511030241",
        issuer=_ISSUER,
        valid_from=date(2015, 8, 20),
        valid_until="长期",
    ),
    IdCardText(
        name="才让多杰",
        sex="男",
        nation="藏",
        birth_date=date(2004, 2, 29),
        address="青海省格尔木市唐古拉山镇长江源村42号",
        id_number="63280120040229057X",
        issuer=_ISSUER,
        valid_from=date(2021, 7, 1),
        valid_until=date(2031, 7, 1),
    ),
)


@dataclass
class Faults:
    """Fault switches; mutate them on a running simulator (read as each request arrives).

    - ``bad_checksum``: every reply carries a wrong CHK.
    - ``truncate``: every reply stops after half its bytes.
    - ``no_reply``: requests are read and ignored.
    - ``sam_fault``: the SAM failed its self-test: every command is answered ``00 00 60``.
    - ``garble_rate``: probability (0..1) that a reply gets one byte after the preamble
      flipped, chosen by a ``random.Random(seed)``.
    - ``seed``: seeds every random choice (read at construction).

    Unplugging is an action, not a switch: :meth:`IdCardReaderSim.unplug`.
    """

    bad_checksum: bool = False
    truncate: bool = False
    no_reply: bool = False
    sam_fault: bool = False
    garble_rate: float = 0.0
    seed: int = 0


class IdCardReaderSim:
    """A pty-backed ID-card reader; no card is on it until :meth:`insert`."""

    def __init__(
        self,
        cards: Sequence[IdCardText] = SAMPLE_CARDS,
        photo: bytes | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.cards = list(cards)
        self.faults = faults if faults is not None else Faults()
        self._rng = random.Random(self.faults.seed)
        self.photo = photo if photo is not None else self._rng.randbytes(PHOTO_LEN)
        if len(self.photo) != PHOTO_LEN:
            raise ValueError(f"a card photo (WLT) is {PHOTO_LEN} bytes, got {len(self.photo)}")
        self.card: IdCardText | None = None
        self.appended_address: str | None = None
        """The card's appended address (住址变更), answered to ``30 03``; None: no content."""
        self.fingerprints = b""
        """The card's fingerprint data for ``30 10`` (empty, or 1024 bytes)."""
        self.sam_id = self._rng.randbytes(16)
        self.baudrate = 115200
        """The reader's line rate (115200 at power-up; ``60 0n`` changes it). A host must set
        its port to the same rate: bytes sent at another rate are dropped as framing errors."""
        self.misframed = 0
        """Bytes dropped because the host's port was set to another rate than the reader's."""
        self._phase: Phase = "placed"
        self.bytes_received = 0
        """Every byte read from the host (a test can write the next piece after this grows)."""
        self.requests: list[Request] = []
        """Every good request received, in order."""
        self._decoder = FrameDecoder("to_reader")
        self._master: int | None = None
        self._slave: int | None = None
        self._path = ""
        self._out = bytearray()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed = asyncio.Event()

    @property
    def port_path(self) -> str:
        """The slave device path the driver opens (e.g. ``/dev/pts/3``)."""
        return self._path

    @property
    def unplugged(self) -> bool:
        return self._loop is not None and self._master is None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # binary-safe before anyone opens the port
        os.set_blocking(self._master, False)
        self._set_speed(self.baudrate)  # a host that leaves the speed alone matches it
        self._path = os.ttyname(self._slave)
        self._loop.add_reader(self._master, self._on_readable)
        log.info("ID-card reader simulator on %s", self._path)

    async def stop(self) -> None:
        self._close()
        self._loop = None

    async def __aenter__(self) -> IdCardReaderSim:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def insert(self, card: IdCardText | int = 0) -> IdCardText:
        """Put a card on the reader: an :class:`IdCardText` or an index into ``cards``."""
        self.card = self.cards[card] if isinstance(card, int) else card
        self._phase = "placed"
        log.info("ID-card reader simulator: card %r placed", self.card)
        return self.card

    def remove(self) -> None:
        self.card = None
        self._phase = "placed"

    def unplug(self) -> None:
        """Pull the cable: close the pty, so the driver's next read or write fails (EIO)."""
        self._close()
        log.info("ID-card reader simulator on %s unplugged", self._path)

    async def wait_for_requests(self, n: int, timeout: float = 5.0) -> list[Request]:  # noqa: ASYNC109
        """Wait until at least ``n`` requests have arrived; raises ``TimeoutError``."""
        async with asyncio.timeout(timeout):
            while len(self.requests) < n:
                self._changed.clear()
                await self._changed.wait()
        return self.requests[:n]

    async def wait_for_bytes(self, n: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``n`` bytes have been read from the host; raises ``TimeoutError``."""
        async with asyncio.timeout(timeout):
            while self.bytes_received < n:
                self._changed.clear()
                await self._changed.wait()

    # --- the wire ---------------------------------------------------------------------------

    def _close(self) -> None:
        if self._loop is not None and self._master is not None:
            self._loop.remove_reader(self._master)
            self._loop.remove_writer(self._master)
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None
        self._out.clear()

    def _on_readable(self) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as err:  # EIO: no slave open (cannot happen while we hold one)
            log.debug("ID-card reader simulator: read failed: %s", err)
            return
        self.bytes_received += len(data)
        if not self._rate_matches():  # a UART at another rate reads framing errors
            self.misframed += len(data)
            self._changed.set()
            return
        for item in self._decoder.feed(data):
            if isinstance(item, Request):
                self.requests.append(item)
                reply = self._answer(item)
            elif isinstance(item, FrameError) and item.reason in ("bad_checksum", "bad_length"):
                status = (
                    Status.CHECKSUM_ERROR if item.reason == "bad_checksum" else Status.LENGTH_ERROR
                )
                reply = None if self.faults.no_reply else encode_response(0, 0, status)
            else:
                continue
            if reply is not None:
                self._send(self._damage(reply))
        self._changed.set()

    def _set_speed(self, rate: int) -> None:
        if self._slave is not None:
            attrs = termios.tcgetattr(self._slave)
            attrs[4] = attrs[5] = _SPEEDS[rate]
            termios.tcsetattr(self._slave, termios.TCSANOW, attrs)

    def _rate_matches(self) -> bool:
        """Whether the host's end of the line is set to the reader's rate."""
        if self._slave is None:
            return True
        with contextlib.suppress(termios.error):
            return bool(termios.tcgetattr(self._slave)[4] == _SPEEDS[self.baudrate])
        return True

    def _answer(self, req: Request) -> bytes | None:
        if self.faults.no_reply:
            return None
        if self.faults.sam_fault:
            return encode_response(0, 0, Status.SAM_FAULT)
        command = (req.cmd, req.para)
        if command in (SAM_STATUS, SET_FRAME_SIZE):
            return encode_response(0, 0, Status.OK)
        if command == RESET_SAM:
            self._phase = "placed"  # the SAM restarts: the card's session is gone
            return encode_response(0, 0, Status.OK)
        if command == SAM_ID:
            return encode_response(0, 0, Status.OK, self.sam_id)
        if req.cmd == SET_BAUD and req.para in BAUD_RATES:
            self.baudrate = BAUD_RATES[req.para]  # answered at the old rate, then switched
            return encode_response(0, 0, Status.OK)
        if command in (FIND_CARD, SELECT_CARD):
            return self._activate(command)
        if command in _READS:
            return self._read(command)
        return encode_response(0, 0, Status.COMMAND_ERROR)

    def _activate(self, command: tuple[int, int]) -> bytes:
        """Find, then select: a card is selected only after it was found."""
        if command == FIND_CARD:
            if self.card is None:
                return encode_response(0, 0, Status.FIND_FAILED)
            self._phase = "found"
            return encode_response(0, 0, Status.CARD_FOUND, bytes(4))
        if self.card is None or self._phase == "placed":
            return encode_response(0, 0, Status.SELECT_FAILED)
        self._phase = "selected"
        return encode_response(0, 0, Status.OK, bytes(8))

    def _read(self, command: tuple[int, int]) -> bytes:
        if self.card is None or self._phase != "selected":
            return encode_response(0, 0, Status.READ_FAILED)
        if command == READ_APPENDED_ADDRESS:
            if self.appended_address is None:
                return encode_response(0, 0, Status.NO_CONTENT)
            text = self.appended_address.ljust(APPENDED_ADDRESS_LEN // 2)
            return encode_response(0, 0, Status.OK, text.encode("utf-16-le"))
        data = build_read_data(build_text_block(self.card), self.photo)
        if command == READ_WITH_FINGERPRINTS:  # text, photo and fingerprint lengths, then data
            fp = self.fingerprints
            data = data[:4] + len(fp).to_bytes(2, "big") + data[4:] + fp
        return encode_response(0, 0, Status.OK, data)

    def _damage(self, frame: bytes) -> bytes:
        out = bytearray(frame)
        if self.faults.bad_checksum:
            out[-1] ^= 0xFF
        if self.faults.garble_rate and self._rng.random() < self.faults.garble_rate:
            out[self._rng.randrange(5, len(out))] ^= 1 << self._rng.randrange(8)
        if self.faults.truncate:
            del out[len(out) // 2 :]
        return bytes(out)

    def _send(self, data: bytes) -> None:
        self._out += data
        self._flush()

    def _flush(self) -> None:
        if self._master is None or self._loop is None:
            return
        try:
            sent = os.write(self._master, self._out)
        except BlockingIOError:
            sent = 0
        except OSError as err:
            log.debug("ID-card reader simulator: write failed: %s", err)
            self._out.clear()
            return
        del self._out[:sent]
        if self._out:
            self._loop.add_writer(self._master, self._flush)
        else:
            self._loop.remove_writer(self._master)
