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

from collections import deque
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Annotated, Literal

from pydantic import Field

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
