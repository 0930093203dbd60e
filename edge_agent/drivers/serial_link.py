"""The framed serial line both serial peripherals (call button, 好差评 rating pad) share:
:class:`SerialLink` (reconnect loop, SYNC, ACK/retransmit, duplicates, liveness) and
:class:`SerialDriver`, the peripheral interface both drivers get from it.

Protocol: ``protocols.serial_frames`` / ``docs/serial-peripherals.md``. pyserial is imported
only here; blocking reads and writes run in worker threads (``asyncio.to_thread``), so the
drivers work with any event loop, Windows' included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, ClassVar, Self

from pydantic import BaseModel

from edge_agent.drivers import serial_errors as errs
from edge_agent.drivers.base import ConfiguredDriver
from edge_agent.drivers.serial_config import SerialSettings as SerialSettings
from edge_agent.drivers.serial_errors import PortUnavailable, SerialDeviceError
from protocols.messages import Health
from protocols.serial_frames import (
    Ack,
    DeviceKind,
    Frame,
    FrameDecoder,
    FrameError,
    Heartbeat,
    Message,
    Nak,
    NakReason,
    Reject,
    SeqWindow,
    Sync,
    decode_message,
    encode_message,
    nak_for,
)

log = logging.getLogger(__name__)
_READ_TIMEOUT_S = 0.2
#: how long ``start()`` waits for a device's first heartbeat (so the birth says ok)
READY_TIMEOUT_S = 3.0


def _read_some(ser: Any) -> bytes:
    data: bytes = ser.read(1)
    if data and ser.in_waiting:
        data += ser.read(ser.in_waiting)
    return data


class SerialLink:
    """One framed serial line: (re)connect loop, SYNC, ACK/retransmit, duplicates, liveness."""

    def __init__(
        self,
        cfg: SerialSettings,
        device: DeviceKind,
        on_message: Callable[[Message], None],
        accepts: tuple[type[BaseModel], ...],
        on_ready: Callable[[], None] | None = None,
        on_down: Callable[[SerialDeviceError], None] | None = None,
    ) -> None:
        self.cfg, self.device = cfg, device
        self.name = f"{device.replace('_', ' ')} {cfg.id}"
        self.counters: Counter[str] = Counter()
        self.fw = ""
        self.last_error: SerialDeviceError | None = None
        self._on_message, self._on_ready, self._on_down = on_message, on_ready, on_down
        self._accepts = accepts  # device -> host messages the driver handles
        self._serial: Any = None
        self._decoder = FrameDecoder()
        self._window = SeqWindow()
        self._seq = 0
        self._pending: dict[int, asyncio.Future[Ack | Nak]] = {}
        self._send_lock = asyncio.Lock()
        self._write_lock = asyncio.Lock()
        self._changed = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._connected_at = 0.0
        self._heartbeat_at: float | None = None
        self._interval = cfg.heartbeat_s
        self._wrong_device = False
        self._watchdog: asyncio.TimerHandle | None = None
        self._listeners: list[Callable[[], None]] = []
        self._raw_listeners: list[Callable[[bytes], None]] = []

    async def start(self) -> None:
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name=f"serial {self.cfg.id}")

    async def stop(self) -> None:
        self._stop.set()
        if self._serial is not None:
            self._serial.cancel_read()
        if self._task is not None:
            task, self._task = self._task, None
            try:
                await asyncio.wait_for(task, 5)
            except TimeoutError:
                log.warning("%s: reader did not stop in time", self.name)
        if self._watchdog is not None:
            self._watchdog.cancel()

    def health(self) -> tuple[Health, str]:
        """OK while heartbeats arrive; offline with a reason code otherwise."""
        if self._serial is None:
            if self.last_error is not None:
                return Health.OFFLINE, self.last_error.reason
            return (Health.UNKNOWN, "connecting") if self._task else (Health.OFFLINE, "not_started")
        if self._wrong_device:
            return Health.OFFLINE, "wrong_device"
        since = self._heartbeat_at if self._heartbeat_at is not None else self._connected_at
        if time.monotonic() - since >= 3 * self._interval:
            return Health.OFFLINE, "no_heartbeat"
        if self._heartbeat_at is None:
            return Health.UNKNOWN, "waiting_heartbeat"
        return Health.OK, ""

    async def wait_health(self, want: Health) -> tuple[Health, str]:
        """Wait until ``health()`` is ``want`` (event-driven; bound it with asyncio.timeout)."""
        while True:
            changed = self._changed
            if (now := self.health())[0] is want:
                return now
            await changed.wait()

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever ``health()`` may have changed (connect, heartbeat,
        silence, unplug), so the agent can report an unplug at once, not at its next poll."""
        self._listeners.append(callback)

    def add_raw_listener(self, callback: Callable[[bytes], None]) -> None:
        """Call ``callback`` with every chunk read from the port, before it is decoded, so a
        technician's test (``kfleet provision test button``) can show frames as they came."""
        self._raw_listeners.append(callback)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
        for callback in self._listeners:
            callback()

    async def request(self, msg: Message, what: str) -> Ack:
        """Send a reliable frame and return its ACK; retransmit on silence, raise on NAK."""
        async with self._send_lock:
            seq, self._seq = self._seq, (self._seq + 1) % 256
            data = encode_message(seq, msg)
            bad_crc = self.counters[f"rejected.{Reject.BAD_CRC}"]
            loop = asyncio.get_running_loop()
            for attempt in range(self.cfg.retries + 1):
                fut: asyncio.Future[Ack | Nak] = loop.create_future()
                self._pending[seq] = fut
                try:
                    if attempt:
                        self.counters["retransmits"] += 1
                    await self._write(data)
                    reply = await asyncio.wait_for(fut, self.cfg.ack_timeout_s)
                except TimeoutError:
                    continue
                finally:
                    self._pending.pop(seq, None)
                if isinstance(reply, Nak):
                    raise errs.refused(self.name, what, reply.reason)
                return reply
            if (n := self.counters[f"rejected.{Reject.BAD_CRC}"] - bad_crc) > 0:
                raise errs.corrupt_frames(self.name, what, n)
            raise errs.no_ack(self.name, what, self.cfg.retries + 1)

    async def _write(self, data: bytes) -> None:
        ser = self._serial
        if ser is None:
            reason = self.last_error.reason if self.last_error else ""
            raise errs.not_connected(self.name, self.cfg.port, reason)
        async with self._write_lock:
            try:
                await asyncio.to_thread(ser.write, data)
            except Exception as err:  # SerialException, SerialTimeoutException, OSError
                raise errs.unplugged(self.name, self.cfg.port, str(err)) from err

    def _open(self) -> Any:
        import serial  # hardware import stays inside the driver

        try:
            ser = serial.Serial(
                self.cfg.port,
                self.cfg.baudrate,
                timeout=_READ_TIMEOUT_S,
                write_timeout=1.0,
                exclusive=True if os.name == "posix" else None,  # flock: one agent per port
            )
        except (OSError, ValueError) as err:  # SerialException is an OSError
            raise errs.port_missing(self.name, self.cfg.port, str(err)) from err
        ser.reset_input_buffer()
        return ser

    async def _run(self) -> None:
        """The outer reconnect loop, with full-jitter exponential backoff."""
        failures = 0
        while not self._stop.is_set():
            try:
                ser = await asyncio.to_thread(self._open)
            except PortUnavailable as err:
                self._down(err)
            else:
                failures = 0
                await self._session(ser)
            if self._stop.is_set():
                break
            failures += 1
            cap = min(self.cfg.reconnect_max_s, self.cfg.reconnect_min_s * 2 ** min(failures, 20))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), random.uniform(0, cap))

    async def _session(self, ser: Any) -> None:
        self._serial, self._decoder, self._heartbeat_at = ser, FrameDecoder(), None
        self._window.clear()
        self.last_error = None
        self._connected_at, self._interval = time.monotonic(), self.cfg.heartbeat_s
        self.counters["connects"] += 1
        self._arm_watchdog()
        self._notify()
        sync = asyncio.create_task(self._sync())
        try:
            while not self._stop.is_set():
                try:
                    data = await asyncio.to_thread(_read_some, ser)
                except Exception as err:  # SerialException / OSError: the port went away
                    raise errs.unplugged(self.name, self.cfg.port, str(err)) from err
                if data:
                    for tap in self._raw_listeners:
                        tap(data)
                    await self._on_bytes(data)
        except SerialDeviceError as err:
            self._down(err)
        finally:
            self._serial = None
            sync.cancel()
            await asyncio.gather(sync, return_exceptions=True)
            await asyncio.to_thread(ser.close)
            if self.last_error is None:  # stopped, not broken
                self.last_error = errs.not_connected(self.name, self.cfg.port, "stopped")
                if self._on_down is not None:
                    self._on_down(self.last_error)
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(self.last_error)
            self._notify()

    async def _sync(self) -> None:
        try:
            await self.request(Sync(), "SYNC")
        except SerialDeviceError as err:
            log.warning("%s", err)
            return
        if self._on_ready is not None:
            self._on_ready()

    def _down(self, err: SerialDeviceError) -> None:
        if self.last_error is None or self.last_error.reason != err.reason:
            log.warning("%s", err)
        self.last_error = err
        self.counters[f"errors.{err.reason}"] += 1
        self._notify()
        if self._on_down is not None:
            self._on_down(err)

    def _arm_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        delay = 3 * self._interval + 0.01
        self._watchdog = asyncio.get_running_loop().call_later(delay, self._notify)

    def _reject(self, err: FrameError) -> None:
        self.counters[f"rejected.{err.reason}"] += 1
        log.debug("%s: rejected %s %s", self.name, err.reason, err.detail)

    async def _on_bytes(self, data: bytes) -> None:
        for item in self._decoder.feed(data):
            if isinstance(item, FrameError):
                self._reject(item)
                continue
            msg = decode_message(item)
            if isinstance(msg, FrameError):
                self._reject(msg)
                if (nak := nak_for(msg)) is not None:
                    await self._write(encode_message(item.seq, nak))
                continue
            await self._on_frame(item, msg)

    async def _on_frame(self, frame: Frame, msg: Message) -> None:
        if isinstance(msg, Ack | Nak):
            fut = self._pending.get(frame.seq)
            if fut is not None and not fut.done():
                fut.set_result(msg)
            else:
                self.counters["stray_acks"] += 1
            return
        if isinstance(msg, Heartbeat):
            self.counters["heartbeats"] += 1
            self.fw, self._interval = msg.fw, msg.interval_ms / 1000
            self._wrong_device = msg.device != self.device
            self._heartbeat_at = time.monotonic()
            self._arm_watchdog()
            self._notify()
            return
        if isinstance(msg, Sync):  # the device (re)started: its SEQs begin again
            self._window.clear()
        elif not isinstance(msg, self._accepts):
            self.counters["unsupported"] += 1
            await self._write(encode_message(frame.seq, Nak(reason=NakReason.UNSUPPORTED)))
            return
        # Handled before the ACK goes out: once the device sees its ACK, the message has been
        # acted on (a test, or the device's own next step, may rely on that).
        if self._window.is_duplicate(frame.seq):
            self.counters["duplicates"] += 1
        elif isinstance(msg, Sync):
            if self._on_ready is not None:
                self._on_ready()
        else:
            self._on_message(msg)
        await self._write(encode_message(frame.seq, Ack()))


class SerialDriver(ConfiguredDriver):
    """What both serial peripheral drivers share: identity, lifecycle, health, counters
    (the peripheral interface, :mod:`edge_agent.drivers.interface`)."""

    kind: ClassVar[str]
    cfg: SerialSettings
    link: SerialLink

    async def start(self) -> None:
        """Open the port; wait (at most ``READY_TIMEOUT_S``) for the device's first
        heartbeat, so the birth can say ``ok``. Never raises for a missing device."""
        await self.link.start()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(READY_TIMEOUT_S):
                await self.link.wait_health(Health.OK)

    async def stop(self) -> None:
        await self.link.stop()

    async def close(self) -> None:
        await self.stop()

    async def __aenter__(self) -> Self:
        await self.link.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def health(self) -> tuple[Health, str]:
        """(health, reason code): offline with ``unplugged``, ``port_missing``,
        ``no_heartbeat`` (none for 3 intervals), ``wrong_device``, ``stopped``."""
        return self.link.health()

    async def wait_health(self, want: Health) -> tuple[Health, str]:
        return await self.link.wait_health(want)

    def on_health_change(self, callback: Callable[[], None]) -> None:
        self.link.add_listener(callback)

    def counters(self) -> dict[str, int]:
        """rejected.<reason>, duplicates, retransmits, heartbeats, connects, errors.<reason>,
        plus the driver's own (presses, long_presses, ratings.<code>, timeouts, ...)."""
        return dict(self.link.counters)
