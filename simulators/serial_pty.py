"""A framed-serial device on a pseudo-terminal: the base of the call button and rating pad
simulators.

The device side is the pty master, read with ``loop.add_reader``; the driver opens
``port_path``, a symlink to the pty slave, as a real device appears as
``/dev/serial/by-id/...``. ``unplug()`` closes the pty and removes the symlink (the driver's
reads fail with EIO, its reopen with ENOENT); ``replug()`` makes a new pty behind the same
symlink and "powers up" the device: SEQ 0, SYNC, heartbeat.

Fault switches are plain attributes and may change while the simulator runs; every random
choice comes from one ``random.Random(seed)``:

- ``garbage``: before each frame the device sends, 1..garbage random bytes (line noise);
- ``hung``: the firmware hangs: nothing is sent or answered, the port stays present.

The device's UART runs at ``baudrate`` (9600 by default, as the contract says); a host whose
port is set to another rate gets framing errors: what it sends is dropped (``misframed``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import tempfile
import termios
import time
import tty
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, ClassVar, Self

from protocols.serial_frames import (
    Ack,
    DeviceKind,
    FrameDecoder,
    FrameError,
    Heartbeat,
    Message,
    Nak,
    NakReason,
    SeqWindow,
    Sync,
    decode_message,
    encode_message,
    nak_for,
)


class PtyDevice:
    """A framed-serial device on a pty: SEQ/ACK/retransmit, duplicates, heartbeat, faults."""

    DEVICE: ClassVar[DeviceKind]

    def __init__(
        self,
        *,
        fw: str,
        heartbeat_s: float = 1.0,
        seed: int = 0,
        garbage: int = 0,
        link_dir: Path | None = None,
        ack_timeout_s: float = 0.2,
        retries: int = 3,
        baudrate: int = 9600,
    ) -> None:
        if not hasattr(termios, f"B{baudrate}"):
            raise ValueError(f"{baudrate} is not a standard baud rate a UART can be set to")
        self.baudrate = baudrate
        self.misframed = 0  # bytes sent at another rate than the device's
        self.fw, self.heartbeat_s = fw, heartbeat_s
        self.rng = random.Random(seed)
        self.garbage = garbage
        self.hung = False
        self.ack_timeout_s, self.retries = ack_timeout_s, retries
        self._own_dir = link_dir is None
        self._dir = link_dir or Path(tempfile.mkdtemp(prefix="kf-serial-"))
        self._link = self._dir / f"{self.DEVICE}-{id(self):x}"
        self._master: int | None = None
        self._slave: int | None = None
        self._decoder = FrameDecoder()
        self._window = SeqWindow()
        self._replies: dict[int, bytes] = {}
        self._seq = 0
        self._boot = time.monotonic()
        self._pending: dict[int, asyncio.Future[Ack | Nak | None]] = {}
        self._send_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._changed = asyncio.Event()
        #: valid host commands, in order (retransmissions excluded)
        self.received: list[Message] = []
        self.rejected: dict[str, int] = {}
        self.sent = 0
        self.retransmits = 0
        self.dropped = 0  # reliable frames given up after all retries
        self.bytes_received = 0  # from the host, so a test can write its next piece after

    @property
    def port_path(self) -> str:
        return str(self._link)

    @property
    def plugged(self) -> bool:
        return self._master is not None

    async def start(self) -> None:
        self.replug()

    async def stop(self) -> None:
        self.unplug()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._own_dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def replug(self) -> None:
        """Plug in and power up: a fresh pty behind ``port_path``, SEQ 0, SYNC, heartbeats."""
        if self.plugged:
            return
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing: a byte pipe like a UART
        attrs = termios.tcgetattr(slave)  # a host that leaves the speed alone matches it
        attrs[4] = attrs[5] = getattr(termios, f"B{self.baudrate}")
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        tmp = self._link.with_suffix(".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(os.ttyname(slave))
        tmp.replace(self._link)
        self._decoder, self._seq, self._boot = FrameDecoder(), 0, time.monotonic()
        self._window.clear()
        self._replies.clear()
        asyncio.get_running_loop().add_reader(master, self._readable)
        self.spawn(self._power_up())
        self.spawn(self._heartbeats())

    def unplug(self) -> None:
        """Pull the cable: the pty and the symlink go away, unfinished sends are lost."""
        if self._master is None:
            return
        asyncio.get_running_loop().remove_reader(self._master)
        self._link.unlink(missing_ok=True)
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None
        for task in self._tasks:
            task.cancel()
        for fut in self._pending.values():
            if not fut.done():
                fut.set_result(None)
        self._notify()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run ``coro`` as the device's task: cancelled on unplug, awaited on stop."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Wait until ``predicate()`` holds, re-checked after every frame and state change
        (bound it with ``asyncio.timeout``)."""
        while True:
            changed = self._changed
            if predicate():
                return
            await changed.wait()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def now_ms(self) -> int:
        return int((time.monotonic() - self._boot) * 1000) & 0xFFFFFFFF

    # --- sending ------------------------------------------------------------------------------

    def frame(self, seq: int, msg: Message) -> bytes:
        """The bytes for one transmission of ``msg`` (subclasses inject faults here)."""
        return encode_message(seq, msg)

    def write(self, data: bytes) -> None:
        if self._master is None or self.hung:
            return
        if not self._rate_matches():  # what a UART at another rate makes of our bytes
            data = self.rng.randbytes(len(data))
        if self.garbage > 0:
            data = self.rng.randbytes(self.rng.randint(1, self.garbage)) + data
        with contextlib.suppress(OSError):  # a full buffer loses bytes, as a UART would
            while data:
                data = data[os.write(self._master, data) :]

    async def send(self, msg: Message) -> bool:
        """Send reliably (stop-and-wait); True once ACKed, False if NAKed or given up."""
        async with self._send_lock:
            if not self.plugged:
                self.dropped += 1
                return False
            seq, self._seq = self._seq, (self._seq + 1) % 256
            loop = asyncio.get_running_loop()
            for attempt in range(self.retries + 1):
                fut: asyncio.Future[Ack | Nak | None] = loop.create_future()
                self._pending[seq] = fut
                self.sent += 1
                self.retransmits += attempt > 0
                self.write(self.frame(seq, msg))
                try:
                    reply = await asyncio.wait_for(fut, self.ack_timeout_s)
                except TimeoutError:
                    continue
                finally:
                    self._pending.pop(seq, None)
                return isinstance(reply, Ack)
            self.dropped += 1
            return False

    async def _power_up(self) -> None:
        await self.send(Sync())

    async def _heartbeats(self) -> None:
        while True:
            hb = Heartbeat(
                device=self.DEVICE,
                fw=self.fw,
                interval_ms=round(self.heartbeat_s * 1000),
                uptime_ms=self.now_ms(),
            )
            self.write(self.frame(0, hb))
            await asyncio.sleep(self.heartbeat_s)  # the device's own clock, not a sync point

    # --- receiving ----------------------------------------------------------------------------

    def _readable(self) -> None:
        if self._master is None:
            return
        try:
            data = os.read(self._master, 4096)
        except OSError:  # EAGAIN, or EIO while the host side is closed
            return
        self.bytes_received += len(data)
        if self.hung:
            return
        if not self._rate_matches():  # a UART at another rate reads framing errors
            self.misframed += len(data)
            self._notify()
            return
        for item in self._decoder.feed(data):
            if isinstance(item, FrameError):
                self._count(item.reason)
                continue
            msg = decode_message(item)
            if isinstance(msg, FrameError):
                self._count(msg.reason)
                if (nak := nak_for(msg)) is not None:
                    self.write(encode_message(item.seq, nak))
            elif isinstance(msg, Ack | Nak):
                fut = self._pending.get(item.seq)
                if fut is not None and not fut.done():
                    fut.set_result(msg)
            elif msg.RELIABLE:
                self._command(item.seq, msg)
        self._notify()

    def _rate_matches(self) -> bool:
        if self._slave is None:
            return True
        try:
            speed = termios.tcgetattr(self._slave)[4]
        except termios.error:
            return True
        return bool(speed == getattr(termios, f"B{self.baudrate}"))

    def _command(self, seq: int, msg: Message) -> None:
        if isinstance(msg, Sync):
            self._window.clear()
        if self._window.is_duplicate(seq):  # our ACK was lost: ACK again, do nothing again
            self.write(self._replies.get(seq) or encode_message(seq, Ack()))
            return
        self.received.append(msg)
        reply = Ack() if isinstance(msg, Sync) else self.handle(msg)
        data = encode_message(seq, reply)
        self._replies[seq] = data
        if len(self._replies) > 16:
            del self._replies[next(iter(self._replies))]
        self.write(data)

    def _count(self, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1

    def handle(self, msg: Message) -> Ack | Nak:
        """Carry out a host command; the reply is sent with the command's SEQ."""
        return Nak(reason=NakReason.UNSUPPORTED)
