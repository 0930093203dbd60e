"""Resident ID-card reader (居民身份证阅读器): GA 467 serial frames and the GA/T 490 text block.

Pure, no I/O. ``FrameDecoder`` is incremental and total: any byte stream, in any chunking,
gives the same list of frames and :class:`FrameError` values, and ``feed`` never raises.
Personal data (name, address, ID number) never appears in a ``repr``/``str`` of anything here:
:class:`IdCardText` masks itself and :class:`Response` shows only the length of its data.
The layout and the choices made are documented in ``docs/idcard.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import reduce
from operator import xor
from typing import Final, Literal, TypeAlias

PREAMBLE: Final = b"\xaa\xaa\xaa\x96\x69"
_HEAD: Final = len(PREAMBLE) + 2  # preamble + 2-byte big-endian length

Direction: TypeAlias = Literal["to_reader", "to_host"]
#: smallest/largest Len per direction: CMD PARA CHK / SW1 SW2 SW3 CHK; the largest reply
#: (text + photo + fingerprints, 30 10) has Len 2314, so 0x0A00 leaves room and bounds a stall.
MIN_LENGTH: Final[dict[Direction, int]] = {"to_reader": 3, "to_host": 4}
MAX_LENGTH: Final[dict[Direction, int]] = {"to_reader": 0x0100, "to_host": 0x0A00}

SAM_STATUS: Final = (0x11, 0xFF)
FIND_CARD: Final = (0x20, 0x01)
SELECT_CARD: Final = (0x20, 0x02)
READ_TEXT_PHOTO: Final = (0x30, 0x01)

TEXT_LEN: Final = 256
PHOTO_LEN: Final = 1024
LONG_TERM: Final = "长期"


class Status(IntEnum):
    """SW3, the reader's own status code (SW1 SW2 forward the card's APDU status)."""

    OK = 0x90  # 操作成功
    NO_CONTENT = 0x91  # 没有内容
    CARD_FOUND = 0x9F  # 寻找证/卡成功
    CHECKSUM_ERROR = 0x10  # 接收业务终端数据的校验和错
    LENGTH_ERROR = 0x11  # 接收业务终端数据的长度错
    COMMAND_ERROR = 0x21  # 接收业务终端的命令错误
    UNAUTHORIZED = 0x23  # 越权操作
    UNKNOWN_ERROR = 0x24  # 无法识别的错误
    CARD_AUTH_FAILED = 0x31  # 证/卡对阅读器认证失败
    READER_AUTH_FAILED = 0x32  # 阅读器对证/卡认证失败
    VERIFY_FAILED = 0x33  # 信息验证错误
    WRONG_CARD = 0x40  # 无法识别的卡类型
    READ_FAILED = 0x41  # 读证/卡操作失败
    RANDOM_FAILED = 0x47  # 取随机数失败
    SAM_FAULT = 0x60  # 阅读器(SAM)自检失败, 不能接收任何命令
    SAM_UNAUTHORIZED = 0x66  # SAM 未经授权, 无法使用
    FIND_FAILED = 0x80  # 寻找证/卡失败 (no card)
    SELECT_FAILED = 0x81  # 选取证/卡失败


def checksum(data: bytes) -> int:
    """XOR of ``data`` (the length field through the last data byte)."""
    return reduce(xor, data, 0)


def _frame(body: bytes, direction: Direction) -> bytes:
    length = len(body) + 1
    if length > MAX_LENGTH[direction]:
        raise ValueError(f"frame too long: Len {length} > {MAX_LENGTH[direction]}")
    head = length.to_bytes(2, "big")
    return PREAMBLE + head + body + bytes([checksum(head + body)])


def encode_request(cmd: int, para: int, data: bytes = b"") -> bytes:
    """A host→reader frame: preamble, Len, CMD, PARA, data, CHK."""
    return _frame(bytes([cmd, para]) + data, "to_reader")  # bytes() checks 0..255


def encode_response(sw1: int, sw2: int, sw3: int, data: bytes = b"") -> bytes:
    """A reader→host frame: preamble, Len, SW1, SW2, SW3, data, CHK."""
    return _frame(bytes([sw1, sw2, sw3]) + data, "to_host")


@dataclass(frozen=True, slots=True, repr=False)
class Request:
    """A checked host→reader frame."""

    cmd: int
    para: int
    data: bytes = b""

    def encode(self) -> bytes:
        return encode_request(self.cmd, self.para, self.data)

    def __repr__(self) -> str:
        return f"Request(cmd=0x{self.cmd:02X}, para=0x{self.para:02X}, data=<{len(self.data)} B>)"


@dataclass(frozen=True, slots=True, repr=False)
class Response:
    """A checked reader→host frame; ``repr`` never shows ``data`` (it may be personal)."""

    sw1: int
    sw2: int
    sw3: int
    data: bytes = b""

    @property
    def status(self) -> Status | None:
        """SW3 as a known :class:`Status`, or None for a code GA 467 does not define."""
        try:
            return Status(self.sw3)
        except ValueError:
            return None

    def encode(self) -> bytes:
        return encode_response(self.sw1, self.sw2, self.sw3, self.data)

    def __repr__(self) -> str:
        return (
            f"Response(sw=0x{self.sw1:02X}{self.sw2:02X}{self.sw3:02X}, data=<{len(self.data)} B>)"
        )


Frame: TypeAlias = Request | Response
FrameErrorReason: TypeAlias = Literal["garbage", "bad_length", "bad_checksum", "truncated"]


@dataclass(frozen=True, slots=True)
class FrameError:
    """Something in the stream that is not a good frame; ``offset`` is its stream position."""

    reason: FrameErrorReason
    message: str
    offset: int


class FrameDecoder:
    """Incremental GA 467 frame decoder for one direction of a serial line.

    Resynchronises on the preamble: bytes before one are reported once, as a single
    ``garbage`` error, when the next preamble is decided on (or by :meth:`finish`), so the
    output does not depend on chunking. A frame with an impossible Len or a wrong CHK is
    reported and scanning resumes right after its preamble (a good frame hidden in its
    claimed span is still found; the rest of that span is not reported again as garbage).
    """

    def __init__(self, direction: Direction = "to_host") -> None:
        self.direction: Direction = direction
        self._min, self._max = MIN_LENGTH[direction], MAX_LENGTH[direction]
        self._buf = bytearray()
        self._pos = 0  # stream offset of _buf[0]
        self._garbage = self._garbage_at = 0  # skipped bytes not yet reported, from offset
        self._quiet_until = 0  # skipped bytes before this offset were already reported

    @property
    def pending(self) -> int:
        """Bytes held back: a partial frame, or up to 4 bytes that may start a preamble."""
        return len(self._buf)

    @property
    def in_frame(self) -> bool:
        """True when a preamble has arrived but its frame is not complete yet."""
        return self._buf.startswith(PREAMBLE)

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        """Add bytes; return the frames and errors they complete, in stream order."""
        self._buf += data
        out: list[Frame | FrameError] = []
        while (start := self._buf.find(PREAMBLE)) >= 0:
            self._skip(start)
            if len(self._buf) < _HEAD:
                break
            length, at = self._declared(), self._pos
            if not self._min <= length <= self._max:
                limits = f"a {self.direction} frame has {self._min}..{self._max}"
                self._reject(out, "bad_length", f"frame at offset {at} has Len {length}; {limits}")
                continue
            end = _HEAD + length
            if len(self._buf) < end:
                break
            body, chk = bytes(self._buf[len(PREAMBLE) : end - 1]), self._buf[end - 1]
            if checksum(body) != chk:
                want = checksum(body)
                msg = f"frame at offset {at} (Len {length}) has CHK 0x{chk:02X}, not 0x{want:02X}"
                self._reject(out, "bad_checksum", msg, end)
                continue
            self._flush_garbage(out)
            out.append(self._build(body[2:]))
            self._consume(end)
        else:  # no preamble: keep only what may be the start of one
            self._skip(len(self._buf) - (len(PREAMBLE) - 1))
        return out

    def finish(self) -> list[FrameError]:
        """End of stream (or of a transaction): report what is held back, then reset.

        A frame whose Len was corrupted upwards swallows what follows it until here."""
        out: list[Frame | FrameError] = []
        if self.in_frame:
            have = len(self._buf)
            of = f" of {_HEAD + self._declared()}" if have >= _HEAD else ""
            msg = f"frame at offset {self._pos} stopped after {have} bytes{of}"
            self._reject(out, "truncated", msg + ": the rest never arrived", have)
        self._skip(len(self._buf))
        self._flush_garbage(out)
        return [e for e in out if isinstance(e, FrameError)]

    def _declared(self) -> int:
        return int.from_bytes(self._buf[len(PREAMBLE) : _HEAD], "big")

    def _build(self, payload: bytes) -> Frame:
        if self.direction == "to_reader":
            return Request(payload[0], payload[1], payload[2:])
        return Response(payload[0], payload[1], payload[2], payload[3:])

    def _reject(
        self, out: list[Frame | FrameError], reason: FrameErrorReason, msg: str, span: int = _HEAD
    ) -> None:
        """Report the frame starting here; its ``span`` bytes are never reported again."""
        self._flush_garbage(out)
        out.append(FrameError(reason, msg, self._pos))
        self._quiet_until = max(self._quiet_until, self._pos + span)
        self._skip(len(PREAMBLE))

    def _consume(self, n: int) -> None:
        del self._buf[:n]
        self._pos += n

    def _skip(self, n: int) -> None:
        """Drop ``n`` bytes that belong to no frame, counting the not yet reported ones."""
        if n <= 0:
            return
        fresh_from = max(self._pos, self._quiet_until)
        if (fresh := self._pos + n - fresh_from) > 0:
            if self._garbage == 0:
                self._garbage_at = fresh_from
            self._garbage += fresh
        self._consume(n)

    def _flush_garbage(self, out: list[Frame | FrameError]) -> None:
        if self._garbage:
            msg = f"{self._garbage} bytes outside any frame skipped from offset {self._garbage_at}"
            out.append(FrameError("garbage", msg, self._garbage_at))
            self._garbage = 0
