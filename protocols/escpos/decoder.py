"""ESC/POS wire decoder: the bytes a receipt printer receives -> events.

Pure and incremental: ``EscPosDecoder.feed()`` accepts any chunking of the stream (a command
split across TCP reads is held until complete) and never raises on garbage — unrecognised
bytes become ``Unknown`` events. Text is emitted once it is terminated by a command byte (or by
``flush()``), so the events for a stream do not depend on how it was chunked. Memory is
bounded: a command declaring more than ``MAX_DATA`` bytes is garbage (its first bytes become
``Unknown`` and decoding goes on after them).

This module frames commands (how many bytes each takes); ``protocols.escpos.commands`` reads
their parameters, ``protocols.escpos.charsets`` decodes text.
"""

from __future__ import annotations

import re

from protocols.escpos.charsets import CODE_PAGES, decode_text, international
from protocols.escpos.commands import PREFIX, Modes, interpret
from protocols.escpos.events import Command, Event, Feed, Text, Unknown
from protocols.escpos.graphics import fs_q_length

__all__ = ["CODE_PAGES", "MAX_DATA", "EscPosDecoder", "decode_text"]

ESC, FS, GS, DLE = 0x1B, 0x1C, 0x1D, 0x10
MAX_DATA = 1 << 22
"""Longest data block a command may declare; a longer one is treated as garbage."""

# Fixed-length commands: prefix -> parameter bytes after the two command bytes.
_FIXED: dict[bytes, int] = {
    bytes([prefix, second]): count
    for prefix, table in (
        (ESC, {0: b"@2imLS<v", 1: b"!EG-MadJeKtR{V3 =%?TruUC", 2: b"$\\cB", 3: b"p", 8: b"W"}),
        (GS, {0: b":", 1: b"!hwfHBbarI/TE", 2: b"LWP$\\", 3: b"^"}),
        (FS, {0: b"&.", 1: b"!-CW", 2: b"Sp?", 74: b"2"}),
        (DLE, {1: b"\x05"}),
    )
    for count, seconds in table.items()
    for second in seconds
}
_SINGLE = {0x0D: "CR", 0x0C: "FF", 0x18: "CAN"}
_TEXT_RUN = re.compile(rb"[\x09\x20-\xff]+")
_INVALID = -1


def _u16(buf: bytearray, i: int) -> int:
    return buf[i] + 256 * buf[i + 1]


_HEADER: dict[bytes, int] = {
    b"\x1b(": 5, b"\x1d(": 5, b"\x1c(": 5, b"\x1b*": 5, b"\x1dv": 8, b"\x1d*": 4,
    b"\x1d8": 7, b"\x1dV": 3, b"\x10\x04": 3, b"\x10\x14": 3, b"\x1dk": 3, b"\x1bD": 2,
    b"\x1b&": 5, b"\x1cq": 3,
}  # fmt: skip
"""Variable-length commands: bytes needed before the total length is known."""


def _length(buf: bytearray, pos: int, prefix: bytes) -> int | None:
    """Total length of the command at ``pos``; None = need more bytes; _INVALID = garbage."""
    fixed = _FIXED.get(prefix)
    if fixed is not None:
        return 2 + fixed
    header = _HEADER.get(prefix)
    if header is None:
        return _INVALID
    if len(buf) - pos < header:
        return None
    if prefix[1] == 0x28:  # X ( f pL pH d1..dk
        return 5 + _u16(buf, pos + 3)
    if prefix == b"\x1b*":  # ESC * m nL nH d: 8-dot modes take 1 byte a column, 24-dot 3
        return 5 + _u16(buf, pos + 3) * (3 if buf[pos + 2] in (32, 33) else 1)
    if prefix == b"\x1dv":  # GS v 0 m xL xH yL yH d
        return 8 + _u16(buf, pos + 4) * _u16(buf, pos + 6) if buf[pos + 2] == 0x30 else _INVALID
    if prefix == b"\x1d*":  # GS * x y d
        return 4 + buf[pos + 2] * buf[pos + 3] * 8
    if prefix == b"\x1d8":  # GS 8 L p1..p4 d
        if buf[pos + 2] != 0x4C:
            return _INVALID
        return 7 + int.from_bytes(buf[pos + 3 : pos + 7], "little")
    return _variable(buf, pos, prefix)


def _variable(buf: bytearray, pos: int, prefix: bytes) -> int | None:
    if prefix == b"\x1dV":  # GS V m [n]
        return 4 if buf[pos + 2] in (65, 66, 97, 98, 103, 104) else 3
    if prefix == b"\x10\x04":  # DLE EOT n [a]
        return 4 if buf[pos + 2] in (7, 8) else 3
    if prefix == b"\x10\x14":  # DLE DC4 fn ...
        return 3 + {7: 1, 8: 7}.get(buf[pos + 2], 2)
    if prefix == b"\x1dk":  # GS k m: NUL-terminated (m <= 6) or counted (m >= 65)
        if buf[pos + 2] >= 65:
            return None if len(buf) - pos < 4 else 4 + buf[pos + 3]
        return _nul_terminated(buf, pos, 3, 255)
    if prefix == b"\x1b&":  # ESC & y c1 c2 [x d1..d(y*x)] for each char c1..c2
        return _user_chars(buf, pos)
    if prefix == b"\x1cq":  # FS q n [xL xH yL yH d]...
        length = fs_q_length(buf, pos, MAX_DATA)
        return _INVALID if length == -1 else length
    return _nul_terminated(buf, pos, 2, 32)  # ESC D n1..nk NUL


def _user_chars(buf: bytearray, pos: int) -> int | None:
    y, first, last = buf[pos + 2], buf[pos + 3], buf[pos + 4]
    if not 32 <= first <= last <= 126:
        return _INVALID
    at = pos + 5
    for _ in range(last - first + 1):
        if at >= len(buf):
            return None
        at += 1 + y * buf[at]
    return at - pos


def _nul_terminated(buf: bytearray, pos: int, header: int, limit: int) -> int | None:
    start = pos + header
    end = buf.find(0, start, start + limit + 1)
    if end >= 0:
        return end + 1 - pos
    return None if len(buf) - start <= limit else _INVALID


class EscPosDecoder:
    """Incremental ESC/POS decoder; one per connection (it keeps printer mode state)."""

    def __init__(self, chinese_mode: bool = True) -> None:
        self.modes = Modes(chinese_default=chinese_mode, chinese=chinese_mode)
        self._buf = bytearray()
        self._base = 0  # stream offset of _buf[0]
        self._text = bytearray()

    @property
    def chinese_mode(self) -> bool:
        return self.modes.chinese

    @property
    def encoding(self) -> str:
        return self.modes.encoding

    def feed(self, data: bytes) -> list[Event]:
        """Decode the next chunk; returns the events it completed."""
        return [event for event, _ in self.feed_with_offsets(data)]

    def flush(self) -> list[Event]:
        """End of stream: pending text, and any incomplete command as ``Unknown``."""
        return [event for event, _ in self.flush_with_offsets()]

    def feed_with_offsets(self, data: bytes) -> list[tuple[Event, int]]:
        """Like ``feed``; each event comes with the stream offset just after its bytes."""
        buf = self._buf
        buf.extend(data)
        out: list[tuple[Event, int]] = []
        pos = 0
        while pos < len(buf):
            run = _TEXT_RUN.match(buf, pos)
            if run is not None:
                self._text.extend(run.group())
                pos = run.end()
                continue
            self._flush_text(out, self._base + pos)
            parsed = self._command(buf, pos)
            if parsed is None:
                break
            event, pos = parsed
            out.append((event, self._base + pos))
        del buf[:pos]
        self._base += pos
        return out

    def flush_with_offsets(self) -> list[tuple[Event, int]]:
        out: list[tuple[Event, int]] = []
        self._flush_text(out, self._base)
        if self._buf:
            self._base += len(self._buf)
            out.append((Unknown(bytes(self._buf)), self._base))
            self._buf.clear()
        return out

    def _flush_text(self, out: list[tuple[Event, int]], end: int) -> None:
        if self._text:
            m = self.modes
            text = decode_text(bytes(self._text), m.encoding, m.chinese, m.system)
            out.append((Text(international(text, m.international)), end))
            self._text.clear()

    def _command(self, buf: bytearray, pos: int) -> tuple[Event, int] | None:
        b = buf[pos]
        if b == 0x0A:
            return Feed(1), pos + 1
        if b not in PREFIX:
            name = _SINGLE.get(b)
            return (Command(name, bytes([b])) if name else Unknown(bytes([b]))), pos + 1
        if pos + 1 >= len(buf):
            return None
        prefix = bytes(buf[pos : pos + 2])
        length = _length(buf, pos, prefix)
        if length is None:
            return None
        if length == _INVALID or length > MAX_DATA:
            size = 1 if buf[pos + 1] < 0x20 else 2
            return Unknown(prefix[:size]), pos + size
        if len(buf) - pos < length:
            return None
        return interpret(bytes(buf[pos : pos + length]), self.modes), pos + length
