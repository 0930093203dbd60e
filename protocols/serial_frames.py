"""Serial line protocol shared by the call button and the 好差评 rating pad. Pure: no I/O.

One frame on the wire (``docs/serial-peripherals.md`` is the full contract)::

    STX | stuffed( VER SEQ TYPE LEN_hi LEN_lo PAYLOAD[LEN] CRC_hi CRC_lo ) | ETX

STX=0x02 and ETX=0x03 never occur inside a frame: 0x02, 0x03 and DLE=0x10 in the body are sent
as DLE followed by the byte XOR 0x20. So every STX starts a new frame; a decoder resynchronises
on the next STX after any garbage, and garbage can never swallow the frame that follows it.
CRC is CRC-16/CCITT-FALSE over the unstuffed VER..PAYLOAD, big-endian. PAYLOAD is a UTF-8
JSON object validated by the model registered for TYPE.

:class:`FrameDecoder` is incremental and never raises: its output depends only on the bytes
fed, never on how they were chunked.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Annotated, ClassVar, Literal, TypeAlias, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

STX, ETX, DLE = 0x02, 0x03, 0x10
VERSION = 1
MAX_PAYLOAD = 512
_HEADER = 5  # VER SEQ TYPE LEN(2)
_MIN_BODY = _HEADER + 2
_MAX_BODY = _HEADER + MAX_PAYLOAD + 2
GARBAGE_REPORT = 1024  # a run of garbage is reported at the next STX or every this many bytes


def _crc_table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        crc = i << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        table.append(crc & 0xFFFF)
    return tuple(table)


_TABLE = _crc_table()


def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final XOR (check 0x29B1)."""
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _TABLE[(crc >> 8) ^ byte]
    return crc


class MsgType(IntEnum):
    SYNC = 0x01
    HEARTBEAT = 0x05
    ACK = 0x06
    NAK = 0x15
    BUTTON = 0x20
    SET_LED = 0x21
    BEEP = 0x22
    RATE_REQUEST = 0x30
    RATING = 0x31
    CANCEL = 0x32
    STATUS_QUERY = 0x33


class Reject(StrEnum):
    """Why received bytes were not accepted (a counter label)."""

    GARBAGE = "garbage"  # bytes outside any frame
    TRUNCATED = "truncated"  # a new STX arrived before the frame's ETX
    BAD_ESCAPE = "bad_escape"  # DLE followed by anything but 0x22, 0x23, 0x30
    TOO_LONG = "too_long"
    SHORT = "short"
    BAD_CRC = "bad_crc"
    BAD_VERSION = "bad_version"
    BAD_LENGTH = "bad_length"  # LEN does not match the payload received
    UNKNOWN_TYPE = "unknown_type"
    BAD_PAYLOAD = "bad_payload"  # not a JSON object valid for its TYPE


@dataclass(frozen=True, slots=True)
class Frame:
    seq: int
    type: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class FrameError:
    """Rejected input; ``frame`` is set when framing and CRC were fine but the content was not."""

    reason: Reject
    detail: str = ""
    frame: Frame | None = None


def _stuff(body: bytes) -> bytes:
    return (
        body.replace(b"\x10", b"\x10\x30")
        .replace(b"\x02", b"\x10\x22")
        .replace(b"\x03", b"\x10\x23")
    )


def encode_frame(seq: int, type_: int, payload: bytes = b"", *, corrupt_crc: bool = False) -> bytes:
    """One frame, ready to write. ``corrupt_crc`` is for simulators injecting line faults."""
    if not (0 <= seq <= 0xFF and 0 <= type_ <= 0xFF):
        raise ValueError("seq and type are single bytes")
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = bytes((VERSION, seq, type_)) + len(payload).to_bytes(2, "big") + payload
    crc = crc16(body) ^ (0xFFFF if corrupt_crc else 0)
    return bytes((STX,)) + _stuff(body + crc.to_bytes(2, "big")) + bytes((ETX,))


class FrameDecoder:
    """Incremental decoder: ``feed(bytes) -> list[Frame | FrameError]``; never raises."""

    def __init__(self) -> None:
        self._body = bytearray()
        self._in_frame = False
        self._escaped = False
        self._garbage = 0

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        out: list[Frame | FrameError] = []
        for byte in data:
            if byte == STX:
                if self._in_frame:
                    out.append(FrameError(Reject.TRUNCATED, f"{len(self._body)} bytes, no ETX"))
                self._flush_garbage(out)
                self._body.clear()
                self._in_frame, self._escaped = True, False
            elif not self._in_frame:
                self._garbage += 1
                if self._garbage >= GARBAGE_REPORT:
                    self._flush_garbage(out)
            elif self._escaped:
                self._escaped = False
                if byte not in (0x22, 0x23, 0x30):
                    self._abandon(out, Reject.BAD_ESCAPE, f"DLE 0x{byte:02x}")
                else:
                    self._append(out, byte ^ 0x20)
            elif byte == DLE:
                self._escaped = True
            elif byte == ETX:
                self._in_frame = False
                out.append(self._finish(bytes(self._body)))
            else:
                self._append(out, byte)
        return out

    def _append(self, out: list[Frame | FrameError], byte: int) -> None:
        self._body.append(byte)
        if len(self._body) > _MAX_BODY:
            self._abandon(out, Reject.TOO_LONG, f"more than {_MAX_BODY} bytes")

    def _abandon(self, out: list[Frame | FrameError], reason: Reject, detail: str) -> None:
        out.append(FrameError(reason, detail))
        self._in_frame = False

    def _flush_garbage(self, out: list[Frame | FrameError]) -> None:
        if self._garbage:
            out.append(FrameError(Reject.GARBAGE, f"{self._garbage} bytes"))
            self._garbage = 0

    @staticmethod
    def _finish(body: bytes) -> Frame | FrameError:
        if len(body) < _MIN_BODY:
            return FrameError(Reject.SHORT, f"{len(body)} bytes")
        if crc16(body) != 0:  # the CRC over data + its own big-endian CRC is 0
            return FrameError(Reject.BAD_CRC, f"crc 0x{body[-2]:02x}{body[-1]:02x}")
        if body[0] != VERSION:
            return FrameError(Reject.BAD_VERSION, f"version {body[0]}")
        length = int.from_bytes(body[3:5], "big")
        if length != len(body) - _MIN_BODY:
            return FrameError(Reject.BAD_LENGTH, f"LEN {length}, got {len(body) - _MIN_BODY}")
        return Frame(seq=body[1], type=body[2], payload=body[_HEADER:-2])


class SeqWindow:
    """Sequence numbers of the peer's last reliable frames: spots retransmissions."""

    def __init__(self, size: int = 16) -> None:
        self._seen: deque[int] = deque(maxlen=size)

    def is_duplicate(self, seq: int) -> bool:
        """True if ``seq`` was seen; otherwise remember it."""
        if seq in self._seen:
            return True
        self._seen.append(seq)
        return False

    def clear(self) -> None:
        self._seen.clear()


# --- messages ---------------------------------------------------------------------------------

DeviceKind = Literal["call_button", "rating_pad"]
ButtonNo = Annotated[int, Field(ge=1, le=16)]
CaseNo = Annotated[str, Field(min_length=1, max_length=64)]


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
