"""``peripheral.call`` commands: the cloud asks a peripheral to do something now.

A call is checked (peripheral, action, args: ``protocols.calls``), then performed in a task of
its own, so a rating request that waits a minute for the citizen never holds up other
commands. Every call is answered with acks whose ``job_id`` is the ``call_id``: ``rejected``
(``no_peripheral``, ``unknown_action``, ``bad_params``), or ``running`` (long actions only)
and then ``succeeded`` with a result, or ``failed`` (``peripheral_error``, ``expired``).
A redelivered call (same ``call_id``) is not performed again: its latest answer is re-sent.
A camera's ``stream_start`` / ``stream_stop`` go to the stream desk (``edge_agent.av``); a
stream that cannot be started fails the call with the camera's or the WHIP endpoint's reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel, ValidationError

from edge_agent.av.streams import StreamDesk
from edge_agent.av.whip import StreamError
from edge_agent.drivers.interface import Emit, Peripheral
from edge_agent.drivers.serial_errors import SerialDeviceError
from edge_agent.jobs.acks import AckSink
from edge_agent.peripherals.events import rating_event
from protocols.av import StreamStartArgs, StreamStopArgs
from protocols.calls import ACTIONS, BeepArgs, CallReason, RequestRatingArgs, SetLedArgs
from protocols.envelope import Envelope
from protocols.jobs import AckState
from protocols.messages import AckBody, PeripheralCall

if TYPE_CHECKING:
    from edge_agent.av.settings import StreamsConfig
    from edge_agent.drivers.rating_pad import RatingResult

log = logging.getLogger(__name__)
#: remember this many call ids (a broker redelivers a QoS 1 message soon, not days later)
REMEMBER = 256


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a call is rejected without being performed."""

    reason: CallReason
    message: str


class CallHandler:
    """Checks, performs and answers ``peripheral.call`` commands."""

    def __init__(
        self,
        peripherals: Mapping[str, Peripheral],
        acks: AckSink,
        emit: Emit,
        *,
        streams_for: StreamsConfig | None = None,
    ) -> None:
        self._peripherals = peripherals
        self._acks, self._emit = acks, emit
        #: the camera streams ([av] of ``streams_for``); without a config, none
        self.streams = None if streams_for is None else StreamDesk.of(streams_for, emit)
        self._answers: OrderedDict[str, AckBody | None] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    async def handle(self, env: Envelope[Any], call: PeripheralCall) -> None:
        if call.call_id in self._answers:
            latest = self._answers[call.call_id]
            if latest is not None:
                await self._acks.send(latest, env.id)
            return
        self._remember(call.call_id, None)
        if env.expired():
            await self._answer(env.id, call, AckState.FAILED, CallReason.EXPIRED, "expired")
            return
        checked = self._check(call)
        if isinstance(checked, Refusal):
            await self._answer(env.id, call, AckState.REJECTED, checked.reason, checked.message)
            return
        p, args = checked
        task = asyncio.create_task(self._perform(env.id, call, p, args), name=call.call_id)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Cancel calls in progress (a rating is cancelled on the pad too); end the streams."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.streams is not None:
            await self.streams.close()

    def _check(self, call: PeripheralCall) -> tuple[Peripheral, BaseModel] | Refusal:
        p = self._peripherals.get(call.peripheral)
        if p is None:
            known = ", ".join(sorted(self._peripherals)) or "none"
            return Refusal(
                CallReason.NO_PERIPHERAL, f"no peripheral {call.peripheral!r} (known: {known})"
            )
        actions = ACTIONS.get(p.kind, {})
        model = actions.get(call.action)
        if model is None:
            offered = ", ".join(sorted(actions)) or "none"
            return Refusal(
                CallReason.UNKNOWN_ACTION,
                f"a {p.kind} has no action {call.action!r} (it offers: {offered})",
            )
        try:
            return p, model.model_validate(call.args)
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(str(x) for x in e['loc']) or 'args'}: {e['msg']}"
                for e in err.errors(include_input=False)
            )
            return Refusal(CallReason.BAD_PARAMS, f"args of {call.action}: {problems}")

    async def _perform(self, corr: str, call: PeripheralCall, p: Peripheral, args: Any) -> None:
        if isinstance(args, RequestRatingArgs):  # the citizen may take a while
            await self._answer(corr, call, AckState.RUNNING, "", "")
        try:
            if isinstance(args, StreamStartArgs | StreamStopArgs):
                result = await self._stream(p, args)
            else:
                result = await perform(p, args, self._emit)
        except SerialDeviceError as err:
            await self._answer(corr, call, AckState.FAILED, CallReason.PERIPHERAL_ERROR, str(err))
        except StreamError as err:
            await self._answer(corr, call, AckState.FAILED, CallReason.PERIPHERAL_ERROR, err.reason)
        except Exception as err:
            log.exception("peripheral call %s failed", call.call_id)
            await self._answer(corr, call, AckState.FAILED, CallReason.INTERNAL, repr(err))
        else:
            await self._answer(corr, call, AckState.SUCCEEDED, "", "", result)

    async def _stream(
        self, p: Peripheral, args: StreamStartArgs | StreamStopArgs
    ) -> dict[str, Any]:
        if self.streams is None:
            raise StreamError("this agent does not stream (no stream desk)", retry=False)
        if isinstance(args, StreamStartArgs):
            return await self.streams.start(p, args)
        return await self.streams.stop(args.stream_id)

    async def _answer(
        self,
        corr: str,
        call: PeripheralCall,
        state: AckState,
        reason: str,
        message: str,
        result: dict[str, Any] | None = None,
    ) -> None:
        ack = AckBody(
            subject="call",
            job_id=call.call_id,
            state=state,
            reason=reason[:64],
            message=message[:1024],
            result=result or {},
        )
        self._remember(call.call_id, ack)
        log.info("peripheral call %s (%s): %s %s", call.call_id, call.action, state, reason)
        await self._acks.send(ack, corr)

    def _remember(self, call_id: str, ack: AckBody | None) -> None:
        self._answers[call_id] = ack
        self._answers.move_to_end(call_id)
        while len(self._answers) > REMEMBER:
            self._answers.popitem(last=False)


@runtime_checkable
class Signalling(Protocol):
    """A call button's LEDs and buzzer."""

    async def set_led(self, button: int, mode: str) -> None: ...

    async def beep(self, ms: int = 150, count: int = 1) -> None: ...


@runtime_checkable
class Rating(Protocol):
    """A 好差评 rating pad."""

    async def request_rating(
        self, case_no: str, window: str, timeout_s: float, *, staff: str = ""
    ) -> RatingResult: ...


async def perform(p: Peripheral, args: BaseModel, emit: Emit) -> dict[str, Any]:
    """Do it; the call's result. Raises the driver's ``SerialDeviceError``."""
    if isinstance(args, SetLedArgs) and isinstance(p, Signalling):
        await p.set_led(args.button, args.mode)
        return {"button": args.button, "mode": args.mode}
    if isinstance(args, BeepArgs) and isinstance(p, Signalling):
        await p.beep(args.ms, args.count)
        return {"ms": args.ms, "count": args.count}
    if isinstance(args, RequestRatingArgs) and isinstance(p, Rating):
        rating = await p.request_rating(args.case_no, args.window, args.timeout_s, staff=args.staff)
        event = rating_event(p.id, rating)
        await emit(event)
        return dict(event.data)  # the same shape as the rating event
    raise LookupError(f"{p.id} ({p.kind}) cannot perform {type(args).__name__}")
