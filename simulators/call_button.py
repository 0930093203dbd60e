"""A serial call button (叫号器) on a pseudo-terminal (see :mod:`simulators.serial_pty`).

Besides the faults every serial simulator has (``garbage``, ``hung``), ``bounce`` makes each
press and release a burst of contact edges within 30 ms, each a separate, valid frame with its
own SEQ and device time, as a cheap button sends.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from protocols.serial_frames import (
    Ack,
    Beep,
    ButtonEvt,
    ButtonKind,
    LedMode,
    Message,
    Nak,
    NakReason,
    SetLed,
)
from simulators.serial_pty import PtyDevice


class CallButtonSim(PtyDevice):
    """A call button with up to 16 buttons, an LED each and a beeper."""

    DEVICE = "call_button"

    def __init__(
        self,
        *,
        seed: int = 0,
        heartbeat_s: float = 1.0,
        fw: str = "CB-1.0.3",
        long_press_s: float = 1.5,
        bounce: bool = False,
        garbage: int = 0,
        baudrate: int = 9600,
        link_dir: Path | None = None,
    ) -> None:
        super().__init__(
            fw=fw,
            heartbeat_s=heartbeat_s,
            seed=seed,
            garbage=garbage,
            link_dir=link_dir,
            baudrate=baudrate,
        )
        self.long_press_s = long_press_s
        self.bounce = bounce
        self.leds: dict[int, LedMode] = {}
        self.beeps = 0
        self.edges_sent = 0
        self.quiet_ms = 60
        self._last_edge_t = -self.quiet_ms

    def replug(self) -> None:
        if not self.plugged:
            self.leds.clear()  # power-up: every LED off until the host sets it again
            self._last_edge_t = -self.quiet_ms  # and the device clock restarts at 0
        super().replug()

    async def press(self, button: int, hold_s: float = 0.1) -> None:
        """Press and release (``hold_s`` < ``long_press_s``)."""
        await self._edges(button, down=True)
        await asyncio.sleep(hold_s)  # the citizen's finger, not a sync point
        await self._edges(button, down=False)

    async def long_press(self, button: int, hold_s: float | None = None) -> None:
        """Hold for ``hold_s`` (default just over ``long_press_s``): press, long_press, release."""
        hold = max(hold_s or 0.0, self.long_press_s + 0.05)
        await self._edges(button, down=True)
        started = time.monotonic()
        await asyncio.sleep(self.long_press_s)
        await self.send(ButtonEvt(button=button, kind=ButtonKind.LONG_PRESS, t=self.now_ms()))
        await asyncio.sleep(max(0.0, hold - (time.monotonic() - started)))
        await self._edges(button, down=False)

    async def _edges(self, button: int, *, down: bool) -> None:
        """One clean edge, or with ``bounce`` a burst ending in the same state within 30 ms.

        Burst edges get device times a few ms apart without waiting for them (so load on the
        test machine cannot stretch a burst); a finger then needs ``quiet_ms`` before the next
        action, which also keeps the device clock monotonic."""
        wait_ms = self._last_edge_t + self.quiet_ms - self.now_ms()
        if wait_ms > 0:
            await asyncio.sleep(wait_ms / 1000)  # simulated time, not a sync point
        t = self.now_ms()
        states = [down]
        if self.bounce:
            states = [down, not down] * self.rng.randint(1, 3) + [down]
        for state in states:
            kind = ButtonKind.PRESS if state else ButtonKind.RELEASE
            self.edges_sent += 1
            self._last_edge_t = t
            await self.send(ButtonEvt(button=button, kind=kind, t=t & 0xFFFFFFFF))
            t += self.rng.randint(1, 4)  # contact bounce: a few ms apart on the device clock

    def handle(self, msg: Message) -> Ack | Nak:
        if isinstance(msg, SetLed):
            self.leds[msg.button] = msg.mode
            return Ack()
        if isinstance(msg, Beep):
            self.beeps += msg.count
            return Ack()
        return Nak(reason=NakReason.UNSUPPORTED)
