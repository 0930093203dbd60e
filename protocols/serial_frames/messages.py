"""The messages carried in call-button and rating-pad serial frames (docs/serial-peripherals.md)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, ClassVar, Literal, TypeAlias, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from protocols.serial_frames.framing import (
    ButtonNo,
    CaseNo,
    DeviceKind,
    Frame,
    FrameError,
    MsgType,
    Reject,
    encode_frame,
)


class ButtonKind(StrEnum):
    PRESS = "press"
    LONG_PRESS = "long_press"  # still held 1.5 s after the press; the device decides
    RELEASE = "release"


class LedMode(StrEnum):
    OFF = "off"
    ON = "on"
    BLINK = "blink"


class NakReason(StrEnum):
    UNSUPPORTED = "unsupported"  # a TYPE this device does not implement
    BAD_PAYLOAD = "bad_payload"
    BUSY = "busy"  # rating pad: already asking for a rating


class Reason(StrEnum):
    """Why a citizen gave a low rating (codes 1..3)."""

    WAIT_LONG = "wait_long"
    ATTITUDE = "attitude"
    SLOW = "slow"
    NOT_INFORMED = "not_informed"
    OTHER = "other"


RATING_NAMES: dict[int, str] = {
    5: "非常满意",
    4: "满意",
    3: "基本满意",
    2: "不满意",
    1: "非常不满意",
}
REASON_NAMES: dict[Reason, str] = {
    Reason.WAIT_LONG: "等候时间长",
    Reason.ATTITUDE: "态度不好",
    Reason.SLOW: "办事效率低",
    Reason.NOT_INFORMED: "一次性告知不到位",
    Reason.OTHER: "其他",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Msg(_Model):
    TYPE: ClassVar[MsgType]
    #: reliable frames consume a SEQ, are ACKed/NAKed and retransmitted until they are
    RELIABLE: ClassVar[bool] = True


class Sync(_Msg):
    """Sent first after power-up / port open: "forget the SEQs you remember from me"."""

    TYPE = MsgType.SYNC


class Heartbeat(_Msg):
    """Device -> host every ``interval_ms``; unreliable (SEQ 0, never ACKed)."""

    TYPE = MsgType.HEARTBEAT
    RELIABLE = False
    device: DeviceKind
    fw: Annotated[str, Field(min_length=1, max_length=32)]
    interval_ms: Annotated[int, Field(ge=100, le=3_600_000)]
    uptime_ms: Annotated[int, Field(ge=0)]
    model: Annotated[str, Field(max_length=32)] = ""


class PadStatus(_Model):
    """The rating pad's state; travels inside the ACK of a STATUS_QUERY."""

    state: Literal["idle", "asking"]
    case: CaseNo | None = None


class Ack(_Msg):
    """SEQ = the SEQ acknowledged; ``status`` answers a STATUS_QUERY."""

    TYPE = MsgType.ACK
    RELIABLE = False
    status: PadStatus | None = None


class Nak(_Msg):
    """SEQ = the SEQ refused. Never sent for a bad CRC (the SEQ itself is not trustworthy)."""

    TYPE = MsgType.NAK
    RELIABLE = False
    reason: NakReason


class ButtonEvt(_Msg):
    """Device -> host: an edge of button ``button`` at device time ``t`` (ms, wraps at 2^32)."""

    TYPE = MsgType.BUTTON
    button: ButtonNo
    kind: ButtonKind
    t: Annotated[int, Field(ge=0, le=0xFFFFFFFF)]


class SetLed(_Msg):
    TYPE = MsgType.SET_LED
    button: ButtonNo
    mode: LedMode


class Beep(_Msg):
    TYPE = MsgType.BEEP
    ms: Annotated[int, Field(ge=10, le=5000)] = 150
    count: Annotated[int, Field(ge=1, le=10)] = 1


class RateRequest(_Msg):
    """Host -> pad: show the case and window, ask for a rating for at most ``timeout_ms``."""

    TYPE = MsgType.RATE_REQUEST
    case: CaseNo
    window: Annotated[str, Field(min_length=1, max_length=32)]
    staff: Annotated[str, Field(max_length=32)] = ""
    timeout_ms: Annotated[int, Field(ge=100, le=600_000)]


class RatingAnswer(_Msg):
    """Pad -> host: exactly one of ``code`` (5 best .. 1 worst) and ``timeout``."""

    TYPE = MsgType.RATING
    case: CaseNo
    code: Annotated[int, Field(ge=1, le=5)] | None = None
    reasons: Annotated[list[Reason], Field(max_length=5)] = []
    timeout: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> RatingAnswer:
        if self.timeout == (self.code is not None):
            raise ValueError("exactly one of code and timeout")
        if self.reasons and (self.code is None or self.code > 3):
            raise ValueError("reasons are only given with codes 1..3")
        if len(set(self.reasons)) != len(self.reasons):
            raise ValueError("reasons repeat")
        return self


class Cancel(_Msg):
    """Host -> pad: stop asking (for ``case``, or whatever is shown when omitted)."""

    TYPE = MsgType.CANCEL
    case: CaseNo | None = None


class StatusQuery(_Msg):
    TYPE = MsgType.STATUS_QUERY


Message: TypeAlias = (
    Sync
    | Heartbeat
    | Ack
    | Nak
    | ButtonEvt
    | SetLed
    | Beep
    | RateRequest
    | RatingAnswer
    | Cancel
    | StatusQuery
)
_MESSAGES: tuple[type[_Msg], ...] = (
    *(Sync, Heartbeat, Ack, Nak, ButtonEvt, SetLed, Beep),
    *(RateRequest, RatingAnswer, Cancel, StatusQuery),
)
_MODELS: dict[int, type[_Msg]] = {m.TYPE: m for m in _MESSAGES}


def is_reliable_type(type_: int) -> bool:
    """Whether a frame of this TYPE expects an ACK/NAK (unknown types are treated as reliable)."""
    model = _MODELS.get(type_)
    return model is None or model.RELIABLE


def nak_for(err: FrameError) -> Nak | None:
    """The NAK owed for a frame whose content was rejected (None: no reply is owed)."""
    if err.frame is None or not is_reliable_type(err.frame.type):
        return None
    unknown = err.reason is Reject.UNKNOWN_TYPE
    return Nak(reason=NakReason.UNSUPPORTED if unknown else NakReason.BAD_PAYLOAD)


def payload_of(msg: Message) -> bytes:
    """Canonical JSON: defaults omitted, keys sorted, no spaces, UTF-8 (not \\u escapes)."""
    data = msg.model_dump(mode="json", exclude_defaults=True)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def encode_message(seq: int, msg: Message, *, corrupt_crc: bool = False) -> bytes:
    return encode_frame(seq, msg.TYPE, payload_of(msg), corrupt_crc=corrupt_crc)


def decode_message(frame: Frame) -> Message | FrameError:
    """The message a frame carries, or why not (an empty payload means ``{}``); never raises."""
    model = _MODELS.get(frame.type)
    if model is None:
        return FrameError(Reject.UNKNOWN_TYPE, f"type 0x{frame.type:02x}", frame)
    try:
        msg = model.model_validate_json(frame.payload or b"{}")
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        return FrameError(Reject.BAD_PAYLOAD, f"{where}: {first['msg']}"[:200], frame)
    return cast(Message, msg)  # _MODELS holds exactly the Message classes
