"""A 好差评 rating pad on a pseudo-terminal, with a scripted citizen.

``RatingPadSim(script=[Rating(5), Rating(2, reasons=[Reason.WAIT_LONG]), Timeout()])``: each
rating request takes the next step of the script (an empty script behaves as ``Timeout()``):
``Rating`` answers after ``think_s``; ``Timeout`` lets the request's ``timeout_ms`` run out and
answers ``timeout``, as the real pad does. A request while one is showing gets NAK ``busy``.

Fault switches (see also :class:`simulators.serial_pty.PtyDevice`: ``garbage``, ``hung``,
``unplug()`` / ``replug()``):

- ``bad_crc``: corrupt the CRC of the next n transmissions of an answer (retransmissions
  included; a negative n corrupts all of them). The host drops them; the pad retransmits.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from protocols.serial_frames import (
    Ack,
    Cancel,
    CaseNo,
    Message,
    Nak,
    NakReason,
    PadStatus,
    RateRequest,
    RatingAnswer,
    Reason,
    StatusQuery,
    encode_message,
)
from simulators.serial_pty import PtyDevice

__all__ = ["Rating", "RatingPadSim", "Reason", "Timeout"]


@dataclass(frozen=True)
class Rating:
    """The citizen presses rating ``code`` (5..1), then the ``reasons`` for a low one."""

    code: int
    reasons: Sequence[Reason | str] = field(default_factory=tuple)
    think_s: float = 0.05


@dataclass(frozen=True)
class Timeout:
    """The citizen walks away without rating."""


class RatingPadSim(PtyDevice):
    DEVICE = "rating_pad"

    def __init__(
        self,
        script: Iterable[Rating | Timeout] = (),
        *,
        seed: int = 0,
        heartbeat_s: float = 1.0,
        fw: str = "RP-2.1.0",
        garbage: int = 0,
        baudrate: int = 9600,
        bad_crc: int = 0,
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
        self.script: deque[Rating | Timeout] = deque(script)
        self.bad_crc = bad_crc
        self.asking: RateRequest | None = None
        self.asked: list[RateRequest] = []
        self.canceled: list[CaseNo] = []
        self.answered: list[RatingAnswer] = []
        self._answer: asyncio.Task[None] | None = None

    @property
    def state(self) -> str:
        return "asking" if self.asking is not None else "idle"

    def unplug(self) -> None:
        self.asking = None
        super().unplug()

    def frame(self, seq: int, msg: Message) -> bytes:
        corrupt = isinstance(msg, RatingAnswer) and self.bad_crc != 0
        if corrupt and self.bad_crc > 0:
            self.bad_crc -= 1
        return encode_message(seq, msg, corrupt_crc=corrupt)

    def handle(self, msg: Message) -> Ack | Nak:
        if isinstance(msg, RateRequest):
            if self.asking is not None:
                return Nak(reason=NakReason.BUSY)
            self.asking = msg
            self.asked.append(msg)
            step = self.script.popleft() if self.script else Timeout()
            self._answer = self.spawn(self._citizen(msg, step))
            return Ack()
        if isinstance(msg, Cancel):
            if self.asking is not None and msg.case in (None, self.asking.case):
                self.canceled.append(self.asking.case)
                self.asking = None
                if self._answer is not None:
                    self._answer.cancel()
            return Ack()
        if isinstance(msg, StatusQuery):
            case = self.asking.case if self.asking else None
            return Ack(status=PadStatus(state="asking" if case else "idle", case=case))
        return Nak(reason=NakReason.UNSUPPORTED)

    async def _citizen(self, request: RateRequest, step: Rating | Timeout) -> None:
        if isinstance(step, Rating):
            await asyncio.sleep(step.think_s)  # the citizen reading the screen
            reasons = [Reason(r) for r in step.reasons]
            answer = RatingAnswer(case=request.case, code=step.code, reasons=reasons)
        else:
            await asyncio.sleep(request.timeout_ms / 1000)  # the pad's own timeout
            answer = RatingAnswer(case=request.case, timeout=True)
        self.asking = None
        self.answered.append(answer)
        await self.send(answer)
        self._notify()
