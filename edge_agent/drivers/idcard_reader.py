"""The resident ID-card reader driver (居民身份证阅读器, GA 467 frames over a serial port).

A card read is: find card (``20 01``) → select card (``20 02``) → read text + photo
(``30 01``); "no card" answers are polled every ``poll_interval_s`` until the caller's
timeout, which then returns None. Each command is one transaction: flush input, write the
request, read until a complete reply frame or ``timeout_s``. pyserial is imported here only,
and every blocking call runs in ``asyncio.to_thread`` under a lock (a cancelled call's worker
thread still holds the port until its own timeout, so the lock is a ``threading.Lock``).

Health (SAM status, ``11 FF``): ok when SW3 is 0x90; *degraded* when the reader answers but
something is wrong (SAM fault, garbled or truncated replies); *offline* when nothing answers
(port missing, I/O error, silence). Card contents are logged only masked.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from edge_agent.drivers.base import ConfiguredDriver, DriverSpec
from edge_agent.drivers.idcard_config import IdCardReaderConfig as IdCardReaderConfig
from edge_agent.drivers.idcard_errors import (
    IdCardError,
    IdCardGarbled,
    IdCardRefused,
    IdCardTimeout,
    IdCardUnplugged,
)
from edge_agent.drivers.interface import Emit
from protocols.idcard import (
    FIND_CARD,
    READ_TEXT_PHOTO,
    SAM_STATUS,
    SELECT_CARD,
    FrameDecoder,
    FrameError,
    IdCardText,
    Response,
    Status,
    TextBlockError,
    encode_request,
    mask_id_number,
    mask_name,
    parse_text_block,
    split_read_data,
)
from protocols.messages import EventBody, EventKind, Health, IdCardReadData

log = logging.getLogger(__name__)

#: longest pause between automatic card polls after repeated errors (unplugged reader)
AUTO_READ_MAX_BACKOFF_S = 30.0

try:  # a dead tty makes tcflush raise termios.error, which is not an OSError
    from termios import error as _TermiosError

    _IO_ERRORS: tuple[type[BaseException], ...] = (OSError, _TermiosError)
except ImportError:  # pragma: no cover - not POSIX
    _IO_ERRORS = (OSError,)
_OPEN_ERRORS: tuple[type[BaseException], ...] = (
    *_IO_ERRORS,
    ValueError,
)  # pyserial: ValueError for bad settings

_NAMES = {
    SAM_STATUS: "SAM status",
    FIND_CARD: "find card",
    SELECT_CARD: "select card",
    READ_TEXT_PHOTO: "read text+photo",
}
_REFUSALS: dict[int, tuple[str, str]] = {
    Status.SAM_FAULT: ("sam_fault", "its security module (SAM) failed its self-test"),
    Status.SAM_UNAUTHORIZED: ("sam_fault", "its security module (SAM) is not authorised"),
    Status.READ_FAILED: ("read_failed", "reading the card failed (card moved away?)"),
    Status.WRONG_CARD: ("wrong_card", "the card is not a resident ID card"),
    Status.CARD_AUTH_FAILED: ("card_auth_failed", "card and reader failed to authenticate"),
    Status.READER_AUTH_FAILED: ("card_auth_failed", "card and reader failed to authenticate"),
    Status.VERIFY_FAILED: ("card_auth_failed", "the card data failed verification"),
    Status.CHECKSUM_ERROR: ("rejected", "it received our request with a bad checksum"),
    Status.LENGTH_ERROR: ("rejected", "it received our request with a bad length"),
    Status.COMMAND_ERROR: ("rejected", "it does not accept the command"),
}


@dataclass(frozen=True, slots=True, repr=False)
class IdCardRead:
    """One card read: decoded text and the raw 1024-byte WLT photo (not decoded here)."""

    text: IdCardText
    photo: bytes

    def __repr__(self) -> str:
        return f"IdCardRead(text={self.text!r}, photo=<{len(self.photo)} B>)"


def card_event(peripheral: str, read: IdCardRead) -> EventBody:
    """The ``idcard_read`` event for one card: masked ID number and name, nothing else."""
    text = read.text
    data = IdCardReadData(id_number=mask_id_number(text.id_number), name=mask_name(text.name))
    return EventBody(kind=EventKind.IDCARD_READ, peripheral=peripheral, data=data.model_dump())


class IdCardReader(ConfiguredDriver):
    """The driver; ``reads_ok`` / ``reads_failed`` / ``failures`` (by reason) count reads."""

    kind = "idcard_reader"
    cfg: IdCardReaderConfig

    def __init__(self, cfg: IdCardReaderConfig) -> None:
        self.cfg = cfg
        self.reads_ok = 0
        self.reads_failed = 0
        self.failures: Counter[str] = Counter()
        self.last_health: tuple[Health, str] = (Health.UNKNOWN, "")
        self._io = threading.Lock()
        self._port: Any = None  # serial.Serial while open
        self._watchers: list[Callable[[], None]] = []

    async def health(self) -> tuple[Health, str]:
        """SAM status → (health, reason). Never raises."""
        try:
            reply = await self._command(SAM_STATUS)
        except IdCardError as err:  # it answers, but garbled or cut short → degraded
            degraded = isinstance(err, IdCardGarbled) or err.reason == "truncated"
            result = (Health.DEGRADED if degraded else Health.OFFLINE, err.reason)
        except Exception:  # a driver bug must not stop the health monitor
            log.exception("ID-card reader %s: health check failed", self.id)
            result = (Health.OFFLINE, "driver_error")
        else:
            if reply.sw3 == Status.OK:
                result = (Health.OK, "")
            else:
                reason = _REFUSALS.get(reply.sw3, ("sam_fault", ""))[0]
                result = (Health.DEGRADED, reason)
        if result != self.last_health:
            log.info("ID-card reader %s: health %s %s", self.id, result[0].value, result[1])
        self.last_health = result
        return result

    async def read_card(self, timeout_s: float) -> IdCardRead | None:
        """Wait up to ``timeout_s`` for a card and read it; None if no card came.

        Raises a subclass of :class:`IdCardError` (counted in ``failures``).
        """
        try:
            result = await self._read_card(timeout_s)
        except IdCardError as err:
            self.reads_failed += 1
            self.failures[err.reason] += 1
            log.warning("ID-card reader %s: read failed (%s): %s", self.id, err.reason, err)
            raise
        if result is not None:
            self.reads_ok += 1
            log.info("ID-card reader %s: read %r", self.id, result)
        return result

    async def close(self) -> None:
        await asyncio.to_thread(self._close_blocking)

    def counters(self) -> Mapping[str, int]:
        """Reads and failures by reason: never anything read off a card."""
        return {
            "reads": self.reads_ok,
            "read_errors": self.reads_failed,
            **{f"errors.{k}": v for k, v in self.failures.items()},
        }

    def on_health_change(self, callback: Callable[[], None]) -> None:
        """With ``auto_read``, the first failed poll (unplugged) and the first good one after
        failures are reported at once; without it nothing polls, so the health loop tells."""
        self._watchers.append(callback)

    async def start(self) -> None:
        """The port is opened by the first command (the health probe)."""

    async def run(self, emit: Emit) -> None:
        """With ``auto_read``: report each card placed, once, as a masked ``idcard_read``."""
        if not self.cfg.auto_read:
            return
        present, failures = False, 0
        while True:
            before = failures
            try:
                read = await self.read_card(0)  # one "find card", no waiting
            except IdCardError:  # logged and counted by read_card; health says the rest
                failures += 1
            else:
                failures = 0
                if read is None:
                    present = False
                elif not present:  # report a card once, not at every poll while it lies there
                    present = True
                    await emit(card_event(self.id, read))
            if (before == 0) != (failures == 0):  # broke or recovered: tell the agent now
                for callback in self._watchers:
                    callback()
            pause = self.cfg.auto_read_interval_s * 2 ** min(failures, 16)
            await asyncio.sleep(
                min(pause, max(AUTO_READ_MAX_BACKOFF_S, self.cfg.auto_read_interval_s))
            )

    async def _read_card(self, timeout_s: float) -> IdCardRead | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            found = await self._command(FIND_CARD)
            if found.sw3 == Status.CARD_FOUND:
                selected = await self._command(SELECT_CARD)
                if selected.sw3 == Status.OK:
                    return self._decode(await self._command(READ_TEXT_PHOTO))
                if selected.sw3 != Status.SELECT_FAILED:
                    raise self._refused(SELECT_CARD, selected)
            elif found.sw3 != Status.FIND_FAILED:
                raise self._refused(FIND_CARD, found)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            # polling hardware: the reader cannot tell us when a card arrives
            await asyncio.sleep(min(self.cfg.poll_interval_s, remaining))

    def _decode(self, reply: Response) -> IdCardRead:
        if reply.sw3 != Status.OK:
            raise self._refused(READ_TEXT_PHOTO, reply)
        try:
            block, photo = split_read_data(reply.data)
            return IdCardRead(parse_text_block(block), photo)
        except TextBlockError as err:
            raise IdCardGarbled(
                "bad_card_data",
                f"ID-card reader {self.id} returned card data that cannot be decoded ({err}); "
                "the card may be damaged or of another kind: ask for the card to be "
                "placed again, and enter the data by hand if it repeats",
            ) from err

    def _refused(self, command: tuple[int, int], reply: Response) -> IdCardRefused:
        reason, why = _REFUSALS.get(reply.sw3, ("unexpected_status", "of an unknown error"))
        return IdCardRefused(
            reason,
            f"ID-card reader {self.id} refused {_NAMES[command]} with status "
            f"{reply.sw1:02X} {reply.sw2:02X} {reply.sw3:02X} because {why}; "
            + (
                "the reader needs service (power-cycle it, then call a technician)"
                if reason == "sam_fault"
                else "ask for the card to be placed again and retry"
            ),
            reply.sw3,
        )

    async def _command(self, command: tuple[int, int]) -> Response:
        return await asyncio.to_thread(self._transact, command)

    # --- blocking parts, run in a worker thread -------------------------------------------

    def _open_blocking(self) -> Any:
        if self._port is None:
            import serial  # hardware import stays inside the driver

            try:
                self._port = serial.Serial(
                    self.cfg.port, self.cfg.baudrate, timeout=self.cfg.timeout_s, exclusive=True
                )
            except _OPEN_ERRORS as err:
                raise IdCardUnplugged(
                    "port_unavailable",
                    f"ID-card reader {self.id}: port {self.cfg.port} cannot be opened ({err}); "
                    "the reader is unplugged or the path is wrong: check the cable and the "
                    "configured port",
                ) from err
        return self._port

    def _close_blocking(self) -> None:
        with self._io:
            self._drop_port()

    def _drop_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except _IO_ERRORS:
                log.debug("ID-card reader %s: closing a dead port failed", self.id)

    def _transact(self, command: tuple[int, int]) -> Response:
        name, timeout = _NAMES[command], self.cfg.timeout_s
        with self._io:
            port = self._open_blocking()
            decoder, received = FrameDecoder("to_host"), 0
            try:
                port.reset_input_buffer()
                port.write(encode_request(*command))
                deadline = time.monotonic() + timeout
                while (remaining := deadline - time.monotonic()) > 0:
                    port.timeout = remaining
                    chunk = port.read(port.in_waiting or 1)
                    received += len(chunk)
                    for item in decoder.feed(chunk):
                        if isinstance(item, Response):
                            return item
                        if isinstance(item, FrameError) and item.reason != "garbage":
                            raise self._garbled(name, item.reason, item.message)
            except _IO_ERRORS as err:
                self._drop_port()
                raise IdCardUnplugged(
                    "unplugged",
                    f"ID-card reader {self.id} on {self.cfg.port} failed with an I/O error "
                    f"during {name} ({err}): it was unplugged or lost power; reconnect it, "
                    "the driver reopens the port on the next call",
                ) from err
        if decoder.in_frame:
            raise IdCardTimeout(
                "truncated",
                f"ID-card reader {self.id} stopped mid-reply to {name}: the frame was "
                f"truncated after {decoder.pending} bytes and the rest did not arrive within "
                f"{timeout} s; the reader may have reset or the cable is loose: retry, then "
                "check the cable",
            )
        if received:
            raise self._garbled(
                name, "garbage", f"{received} bytes arrived but no frame preamble (AA AA AA 96 69)"
            )
        raise IdCardTimeout(
            "no_reply",
            f"ID-card reader {self.id} did not answer {name} within {timeout} s; it is "
            "switched off, busy, or on another port: check its power and the configured port",
        )

    def _garbled(self, name: str, reason: str, detail: str) -> IdCardGarbled:
        return IdCardGarbled(
            reason,
            f"ID-card reader {self.id} sent a garbled reply to {name} ({reason}: {detail}); "
            f"noise on the line or a baud rate other than {self.cfg.baudrate}: retry, and if "
            "it repeats check the cable and the reader's baud rate",
        )


#: what the driver registry (``edge_agent.peripherals.registry``) reads of this module
DRIVER = DriverSpec(
    types=("idcard_ga467",),
    kind="idcard_reader",
    config=IdCardReaderConfig,
    peripheral=IdCardReader,
)
