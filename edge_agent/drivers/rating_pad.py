"""好差评 rating pad on a serial port: ask a citizen to rate a case, get 5..1 (+ reasons).

Protocol: ``protocols.serial_frames`` / ``docs/serial-peripherals.md``; the serial line itself
(reconnects, ACKs, retransmits, duplicates, heartbeats) is :class:`SerialLink`.

The pad enforces the request's timeout and answers ``timeout``; the driver waits ``grace_s``
longer before it gives up on its own, cancels the request on the pad and reports a timeout —
or, if only corrupt frames arrived meanwhile, raises a clear :class:`NoAnswer`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from edge_agent.drivers import serial_errors as errs
from edge_agent.drivers.base import DriverSpec
from edge_agent.drivers.interface import Emit
from edge_agent.drivers.serial_config import RatingPadSerial as RatingPadSerial
from edge_agent.drivers.serial_errors import Refused, SerialDeviceError
from edge_agent.drivers.serial_link import SerialDriver, SerialLink
from protocols.serial_frames import (
    RATING_NAMES,
    REASON_NAMES,
    Cancel,
    Message,
    NakReason,
    PadStatus,
    RateRequest,
    RatingAnswer,
    Reason,
    Reject,
    StatusQuery,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RatingResult:
    """A citizen's rating of ``case_no``: ``code`` 5..1 with its Chinese name, or timed out."""

    case_no: str
    timed_out: bool
    code: int | None = None
    name: str | None = None  # 非常满意 / 满意 / 基本满意 / 不满意 / 非常不满意
    reasons: tuple[Reason, ...] = ()
    reason_names: tuple[str, ...] = ()  # 等候时间长, 态度不好, ...

    @classmethod
    def of(cls, answer: RatingAnswer) -> RatingResult:
        if answer.code is None:
            return cls(answer.case, timed_out=True)
        return cls(
            answer.case,
            timed_out=False,
            code=answer.code,
            name=RATING_NAMES[answer.code],
            reasons=tuple(answer.reasons),
            reason_names=tuple(REASON_NAMES[r] for r in answer.reasons),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_no": self.case_no,
            "timed_out": self.timed_out,
            "code": self.code,
            "name": self.name,
            "reasons": [str(r) for r in self.reasons],
            "reason_names": list(self.reason_names),
        }


class RatingPadDriver(SerialDriver):
    """``await request_rating(...)``, ``cancel()``, ``status()``, ``health()``."""

    kind = "rating_pad"
    cfg: RatingPadSerial

    def __init__(self, cfg: RatingPadSerial) -> None:
        self.cfg = cfg
        self.link = SerialLink(
            cfg, "rating_pad", self._on_message, (RatingAnswer,), on_down=self._on_down
        )
        self._lock = asyncio.Lock()
        self._waiting: tuple[str, asyncio.Future[RatingAnswer]] | None = None

    async def run(self, emit: Emit) -> None:
        """The pad speaks only when asked (:meth:`request_rating`; the caller reports the
        ``rating`` event)."""

    async def request_rating(
        self, case_no: str, window: str, timeout_s: float, *, staff: str = ""
    ) -> RatingResult:
        """Ask for a rating of ``case_no``; one request at a time (later calls queue)."""
        request = RateRequest(
            case=case_no, window=window, staff=staff, timeout_ms=round(timeout_s * 1000)
        )
        async with self._lock:
            fut: asyncio.Future[RatingAnswer] = asyncio.get_running_loop().create_future()
            self._waiting = (case_no, fut)
            bad_crc = self.link.counters[f"rejected.{Reject.BAD_CRC}"]
            try:
                await self._ask(request)
                try:
                    async with asyncio.timeout(timeout_s + self.cfg.grace_s):
                        answer = await fut
                except TimeoutError:
                    if (n := self.link.counters[f"rejected.{Reject.BAD_CRC}"] - bad_crc) > 0:
                        raise errs.corrupt_frames(self.link.name, "a rating request", n) from None
                    self.link.counters["host_timeouts"] += 1
                    await self._cancel_quietly(case_no)
                    answer = RatingAnswer(case=case_no, timeout=True)
            except asyncio.CancelledError:
                await self._cancel_quietly(case_no)
                raise
            finally:
                self._waiting = None
                if fut.done() and not fut.cancelled():
                    fut.exception()  # retrieved: an error set by _on_down was raised elsewhere
        result = RatingResult.of(answer)
        key = "timeouts" if result.timed_out else f"ratings.{result.code}"
        self.link.counters[key] += 1
        return result

    async def _ask(self, request: RateRequest) -> None:
        try:
            await self.link.request(request, "a rating request")
        except Refused as err:
            if err.nak != NakReason.BUSY:
                raise
            # still showing an older request (e.g. the agent restarted): cancel it, ask again
            self.link.counters["busy_retries"] += 1
            await self.link.request(Cancel(), "cancelling a stale request")
            await self.link.request(request, "a rating request")

    async def cancel(self, case_no: str | None = None) -> None:
        """Stop asking (for ``case_no``, or whatever the pad shows)."""
        await self.link.request(Cancel(case=case_no), "a cancel")

    async def status(self) -> PadStatus:
        ack = await self.link.request(StatusQuery(), "a status query")
        if ack.status is None:
            raise errs.SerialDeviceError(
                "bad_status",
                f"{self.link.name} answered a status query without a status",
                "its firmware does not follow the protocol",
                "Update the pad's firmware",
            )
        return ack.status

    async def _cancel_quietly(self, case_no: str) -> None:
        with contextlib.suppress(SerialDeviceError):
            await self.link.request(Cancel(case=case_no), "a cancel")

    def _on_message(self, msg: Message) -> None:
        if not isinstance(msg, RatingAnswer):  # the link NAKs anything else
            return
        waiting = self._waiting
        if waiting is None or waiting[0] != msg.case or waiting[1].done():
            self.link.counters["stale_answers"] += 1
            log.info("%s: answer for case %s nobody waits for", self.link.name, msg.case)
            return
        waiting[1].set_result(msg)

    def _on_down(self, err: SerialDeviceError) -> None:
        if self._waiting is not None and not self._waiting[1].done():
            self._waiting[1].set_exception(err)


#: what the driver registry (``edge_agent.peripherals.registry``) reads of this module
DRIVER = DriverSpec(
    types=("rating_pad_serial",),
    kind="rating_pad",
    config=RatingPadSerial,
    peripheral=RatingPadDriver,
)
