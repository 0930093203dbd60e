"""Peripheral calls: what the cloud may ask a device's peripheral to do (``peripheral.call``).

Shared by both sides so the cloud refuses a bad call with a precise 4xx before anything is
sent, and the device checks again (it may run older or newer code than the cloud). The device
answers on ``ack`` with an :class:`~protocols.messages.AckBody` whose ``subject`` is ``call`` and
whose ``job_id`` is the call's ``call_id`` (protocol §6); a call is never retried, so ``attempt``
is always 1.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from protocols.av import StreamStartArgs, StreamStopArgs
from protocols.jobs import NumberOnly

#: how long the cloud waits for the answer to a call beyond the action's own duration
REPLY_GRACE_S = 30.0


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SetLedArgs(_Args):
    """``call_button`` / ``set_led``: light a button's LED (kept across device restarts)."""

    button: Annotated[int, Field(ge=1, le=16), NumberOnly]
    mode: Literal["off", "on", "blink"]


class BeepArgs(_Args):
    """``call_button`` / ``beep``."""

    ms: Annotated[int, Field(ge=10, le=5000), NumberOnly] = 150
    count: Annotated[int, Field(ge=1, le=10), NumberOnly] = 1


class RequestRatingArgs(_Args):
    """``rating_pad`` / ``request_rating``: ask the citizen to rate ``case_no`` (办件编号 or
    ticket number); the answer is the call's result and also a ``rating`` event."""

    case_no: Annotated[str, Field(min_length=1, max_length=64)]
    #: shown on the pad, e.g. ``3号窗口``
    window: Annotated[str, Field(min_length=1, max_length=32)]
    staff: Annotated[str, Field(max_length=32)] = ""
    #: the pad gives up (result ``timed_out``) after this long
    timeout_s: Annotated[float, Field(ge=1, le=600)] = 60.0


#: peripheral kind → action → its ``args`` model
ACTIONS: dict[str, dict[str, type[BaseModel]]] = {
    "call_button": {"set_led": SetLedArgs, "beep": BeepArgs},
    "rating_pad": {"request_rating": RequestRatingArgs},
    # issue 16: camera + microphone streams (protocols.av)
    "av_camera": {"stream_start": StreamStartArgs, "stream_stop": StreamStopArgs},
}


class CallReason(StrEnum):
    """``reason`` of a call's ``failed`` / ``rejected`` answer."""

    NO_PERIPHERAL = "no_peripheral"  # the device has no such peripheral
    UNKNOWN_ACTION = "unknown_action"  # the peripheral's kind has no such action
    BAD_PARAMS = "bad_params"  # args invalid for the action (message says which)
    PERIPHERAL_ERROR = "peripheral_error"  # the peripheral failed (unplugged, NAK, no ACK)
    EXPIRED = "expired"  # the call's ``exp`` passed before it started
    INTERNAL = "internal"


def duration_s(args: BaseModel) -> float:
    """How long the action itself may take on the device (a rating waits for the citizen)."""
    if isinstance(args, RequestRatingArgs):
        return args.timeout_s
    if isinstance(args, StreamStartArgs):
        return 15.0  # ICE gathering and the WHIP round trip on a slow hall network
    return 0.0
