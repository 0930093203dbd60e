"""Call button (叫号器 / help button) on a serial port: each press (and long press) becomes a
``button`` event; ``set_led`` and ``beep`` are peripheral calls.

The framed serial line is :mod:`edge_agent.drivers.serial_link`. Debouncing: the device
should debounce, but a cheap button forwards every contact edge. The driver therefore also
debounces (:class:`Debouncer`) on the *device* timestamp ``t`` of each edge; arrival times
are useless for this (at 9600 baud one frame alone takes ~50 ms).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from edge_agent.drivers.base import DriverSpec
from edge_agent.drivers.interface import Emit
from edge_agent.drivers.serial_config import CallButtonSerial as CallButtonSerial
from edge_agent.drivers.serial_errors import SerialDeviceError
from edge_agent.drivers.serial_link import SerialDriver, SerialLink
from protocols.messages import ButtonData, EventBody, EventKind
from protocols.serial_frames import Beep, ButtonEvt, ButtonKind, LedMode, Message, SetLed

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ButtonEvent:
    button: int
    kind: ButtonKind
    at: datetime  # when the host accepted it (UTC)
    device_ms: int | None = None  # the device's clock at the edge


@dataclass(slots=True)
class _Button:
    down: bool = False  # debounced state
    raw: bool = False  # state after the last edge received
    raw_t: int = 0
    last_t: int | None = None  # device ms of the last accepted edge


class Debouncer:
    """Per button: accept an edge only ``window_ms`` (device clock) after the last accepted
    one; edges inside the window are bounce. ``settle()`` later reconciles with the last raw
    edge, so a quick tap whose release fell inside the window still ends released."""

    def __init__(self, window_ms: int) -> None:
        self.window_ms = window_ms
        self._buttons: dict[int, _Button] = {}

    def edge(self, button: int, kind: ButtonKind, t: int) -> list[ButtonKind]:
        """Events to deliver for this edge; ``[]`` means it was suppressed."""
        if kind is ButtonKind.LONG_PRESS:  # the device decided; not an edge
            return [kind]
        b = self._buttons.setdefault(button, _Button())
        b.raw, b.raw_t = kind is ButtonKind.PRESS, t
        if b.last_t is not None and (t - b.last_t) % 2**32 < self.window_ms:
            return []
        if b.raw == b.down:
            return []
        b.down, b.last_t = b.raw, t
        return [kind]

    def settle(self, button: int) -> list[ButtonKind]:
        b = self._buttons.get(button)
        if b is None or b.raw == b.down:
            return []
        b.down, b.last_t = b.raw, b.raw_t
        return [ButtonKind.PRESS if b.down else ButtonKind.RELEASE]


_COUNTER = {
    ButtonKind.PRESS: "presses",
    ButtonKind.LONG_PRESS: "long_presses",
    ButtonKind.RELEASE: "releases",
}


class CallButtonDriver(SerialDriver):
    """``async for ev in driver.events()``, ``set_led``, ``beep``, ``health()``."""

    kind = "call_button"
    cfg: CallButtonSerial

    def __init__(self, cfg: CallButtonSerial, *, queue_size: int = 64) -> None:
        self.cfg = cfg
        self.link = SerialLink(
            cfg, "call_button", self._on_message, (ButtonEvt,), on_ready=self._on_ready
        )
        self._debouncer = Debouncer(cfg.debounce_ms)
        self._events: asyncio.Queue[ButtonEvent] = asyncio.Queue(queue_size)
        self._leds: dict[int, LedMode] = {}
        self._settle: dict[int, asyncio.TimerHandle] = {}
        self._restore: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        for handle in self._settle.values():
            handle.cancel()
        await self.link.stop()
        if self._restore is not None:
            await asyncio.gather(self._restore, return_exceptions=True)

    async def next_event(self) -> ButtonEvent:
        return await self._events.get()

    async def events(self) -> AsyncIterator[ButtonEvent]:
        while True:
            yield await self._events.get()

    async def set_led(self, button: int, mode: LedMode | str) -> None:
        """Set a button's LED; remembered and restored after the device restarts."""
        msg = SetLed(button=button, mode=LedMode(mode))
        self._leds[button] = msg.mode
        await self.link.request(msg, f"LED {button} {msg.mode}")

    async def beep(self, ms: int = 150, count: int = 1) -> None:
        await self.link.request(Beep(ms=ms, count=count), "a beep")

    def _on_ready(self) -> None:
        if self._leds and (self._restore is None or self._restore.done()):
            self._restore = asyncio.create_task(self._restore_leds())

    async def _restore_leds(self) -> None:
        for button, mode in list(self._leds.items()):
            try:
                await self.link.request(SetLed(button=button, mode=mode), f"LED {button}")
            except SerialDeviceError as err:
                log.warning("restoring LEDs: %s", err)
                return

    def _on_message(self, msg: Message) -> None:
        if not isinstance(msg, ButtonEvt):  # the link NAKs anything else
            return
        kinds = self._debouncer.edge(msg.button, msg.kind, msg.t)
        if not kinds:
            self.link.counters["bounces"] += 1
            if (old := self._settle.pop(msg.button, None)) is not None:
                old.cancel()
            loop = asyncio.get_running_loop()
            self._settle[msg.button] = loop.call_later(self.cfg.settle_s, self._settled, msg.button)
        self._emit(msg.button, kinds, msg.t)

    def _settled(self, button: int) -> None:
        self._settle.pop(button, None)
        self._emit(button, self._debouncer.settle(button), None)

    def _emit(self, button: int, kinds: list[ButtonKind], t: int | None) -> None:
        for kind in kinds:
            self.link.counters[_COUNTER[kind]] += 1
            event = ButtonEvent(button, kind, datetime.now(UTC), t)
            if self._events.full():
                self._events.get_nowait()
                self.link.counters["events_dropped"] += 1
            self._events.put_nowait(event)

    async def run(self, emit: Emit) -> None:
        """Each press and long press as a ``button`` event, until cancelled."""
        async for ev in self.events():
            if ev.kind.value in ("press", "long_press"):
                data = ButtonData(button=ev.button, kind=ev.kind.value)
                await emit(
                    EventBody(kind=EventKind.BUTTON, peripheral=self.id, data=data.model_dump())
                )


#: what the driver registry (``edge_agent.peripherals.registry``) reads of this module
DRIVER = DriverSpec(
    types=("call_button_serial",),
    kind="call_button",
    config=CallButtonSerial,
    peripheral=CallButtonDriver,
)
