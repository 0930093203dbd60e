"""The bytes a call button or rating pad sends, cut into frames as they came off the wire, so
the technician sees each frame in hex and a malformed one is named at once.

Fed by the driver's own serial link (``SerialLink.add_raw_listener``): the driver decides what
a press is, this only watches. Bytes before the first STX after the port opened are dropped
(the tail of a frame torn by the open is not the device's fault).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from protocols.serial_frames import (
    ETX,
    STX,
    Frame,
    FrameDecoder,
    FrameError,
    Message,
    MsgType,
    Reject,
    decode_message,
)

#: garbage runs longer than this are cut (and reported) even without a following STX
_MAX_GARBAGE = 64


@dataclass(frozen=True, slots=True)
class SeenFrame:
    """One frame (or run of garbage) exactly as received, and what it decoded to."""

    raw: bytes
    decoded: Message | FrameError

    @property
    def ok(self) -> bool:
        return not isinstance(self.decoded, FrameError)

    @property
    def type(self) -> int | None:
        if isinstance(self.decoded, FrameError):
            frame = self.decoded.frame
            return frame.type if frame is not None else None
        return self.decoded.TYPE

    def describe(self) -> str:
        """``bad_crc (crc 0x1234)`` for a bad frame, the message's class name otherwise."""
        if isinstance(self.decoded, FrameError):
            detail = f" ({self.decoded.detail})" if self.decoded.detail else ""
            return f"{self.decoded.reason}{detail}"
        return type(self.decoded).__name__


class FrameTap:
    """Watches the raw byte stream; ``bad`` is set when a malformed frame arrives."""

    def __init__(self) -> None:
        self.frames: list[SeenFrame] = []
        self.bad = asyncio.Event()
        self._buf = bytearray()
        self._in_frame = False
        self._synced = False

    def feed(self, data: bytes) -> None:
        for byte in data:
            if byte == STX:
                self._start()
            elif self._in_frame:
                self._buf.append(byte)
                if byte == ETX:
                    self._record(bytes(self._buf), _decode(bytes(self._buf)))
                    self._buf.clear()
                    self._in_frame = False
            elif self._synced:
                self._buf.append(byte)
                if len(self._buf) >= _MAX_GARBAGE:
                    self._garbage()

    def _start(self) -> None:
        if self._in_frame:
            self._record(bytes(self._buf), FrameError(Reject.TRUNCATED, "a new STX before ETX"))
        elif self._buf:
            self._garbage()
        self._buf = bytearray([STX])
        self._in_frame = self._synced = True

    def _garbage(self) -> None:
        raw = bytes(self._buf)
        self._record(raw, FrameError(Reject.GARBAGE, f"{len(raw)} bytes outside any frame"))
        self._buf.clear()

    def _record(self, raw: bytes, decoded: Message | FrameError) -> None:
        seen = SeenFrame(raw, decoded)
        self.frames.append(seen)
        if not seen.ok:
            self.bad.set()

    def first_bad(self) -> SeenFrame | None:
        return next((f for f in self.frames if not f.ok), None)

    def last_of(self, type_: MsgType) -> SeenFrame | None:
        """The latest good frame of ``type_`` (the press, the rating answer)."""
        return next((f for f in reversed(self.frames) if f.ok and f.type == type_), None)


def _decode(raw: bytes) -> Message | FrameError:
    items = FrameDecoder().feed(raw)
    item: Frame | FrameError = items[0] if items else FrameError(Reject.SHORT, "empty")
    return item if isinstance(item, FrameError) else decode_message(item)


def hex_of(raw: bytes) -> str:
    """``02 01 00 20 ... 03``: how a technician compares it with the device's manual."""
    return raw.hex(" ")
