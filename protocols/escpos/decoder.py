"""ESC/POS wire decoder: the bytes a receipt printer receives -> events -> receipts.

Pure and incremental: ``EscPosDecoder.feed()`` accepts any chunking of the stream (a command
split across TCP reads is held until complete) and never raises on garbage — unrecognised
bytes become ``Unknown`` events. Text is emitted once it is terminated by a command byte (or by
``flush()``), so the events for a stream do not depend on how it was chunked.

Text decoding follows a Chinese-market printer: in Chinese mode (``FS &``, the power-on
default here) bytes >= 0x80 are GB18030, which is what python-escpos sends for CJK text; a
byte that does not start a valid GB18030 sequence falls back to the code page chosen with
``ESC t`` (python-escpos sends e.g. "é" as CP437 0x82). After ``FS .`` only the code page
applies.
"""

from __future__ import annotations

import re

from protocols.escpos.events import (
    Align,
    Barcode,
    ChineseMode,
    CodePage,
    Command,
    Cut,
    Event,
    Feed,
    Init,
    QrCode,
    StatusQuery,
    Style,
    Text,
    Unknown,
)

ESC, FS, GS, DLE = 0x1B, 0x1C, 0x1D, 0x10
MAX_DATA = 1 << 22
"""Longest data block a command may declare; a longer one is treated as garbage."""

# python-escpos "default" profile code page numbers that Python can decode.
CODE_PAGES: dict[int, str] = {
    0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 13: "cp857", 14: "cp737",
    15: "iso8859_7", 16: "cp1252", 17: "cp866", 18: "cp852", 19: "cp858", 21: "cp874",
    32: "cp720", 33: "cp775", 34: "cp855", 35: "cp861", 36: "cp862", 37: "cp864",
    38: "cp869", 39: "iso8859_2", 40: "iso8859_15", 44: "cp1125", 45: "cp1250",
    46: "cp1251", 47: "cp1253", 48: "cp1254", 49: "cp1255", 50: "cp1256", 51: "cp1257",
    52: "cp1258", 53: "kz1048",
}  # fmt: skip

# Fixed-length commands: prefix -> {parameter bytes: second bytes}.
_FIXED: dict[bytes, int] = {
    bytes([prefix, second]): count
    for prefix, table in (
        (ESC, {0: b"@2imLS<v", 1: b"!EG-MadJeKtR{V3 =%?TruUC", 2: b"$\\cB", 3: b"p", 8: b"W"}),
        (GS, {0: b":", 1: b"!hwfHBbarI/TE", 2: b"LWP$\\", 3: b"^"}),
        (FS, {0: b"&.", 1: b"!-CW", 2: b"Sp"}),
        (DLE, {1: b"\x05"}),
    )
    for count, seconds in table.items()
    for second in seconds
}
_PREFIX = {ESC: "ESC", FS: "FS", GS: "GS", DLE: "DLE"}
_SINGLE = {0x0D: "CR", 0x0C: "FF", 0x18: "CAN"}
_TEXT_RUN = re.compile(rb"[\x09\x20-\xff]+")
_ALIGN: dict[int, Align] = {0: "left", 1: "center", 2: "right"}
_ONE_OF_3 = (0, 1, 2, 48, 49, 50)  # n and ASCII "n" both select option n
_QR_EC = {48: "L", 49: "M", 50: "Q", 51: "H"}
_INVALID = -1


def _u16(buf: bytearray, i: int) -> int:
    return buf[i] + 256 * buf[i + 1]


_HEADER: dict[bytes, int] = {
    b"\x1b(": 5, b"\x1d(": 5, b"\x1c(": 5, b"\x1b*": 5, b"\x1dv": 8, b"\x1d*": 4,
    b"\x1d8": 7, b"\x1dV": 3, b"\x10\x04": 3, b"\x10\x14": 3, b"\x1dk": 3, b"\x1bD": 2,
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
    return _nul_terminated(buf, pos, 2, 32)  # ESC D n1..nk NUL


def _nul_terminated(buf: bytearray, pos: int, header: int, limit: int) -> int | None:
    start = pos + header
    end = buf.find(0, start, start + limit + 1)
    if end >= 0:
        return end + 1 - pos
    return None if len(buf) - start <= limit else _INVALID


def decode_text(run: bytes, encoding: str, chinese: bool) -> str:
    """Decode printable bytes as the printer would (see the module docstring)."""
    if not chinese:
        return run.decode(encoding, errors="replace")
    try:
        return run.decode("gb18030")
    except UnicodeDecodeError:
        pass
    out: list[str] = []
    i = 0
    while i < len(run):
        if run[i] < 0x80:
            out.append(chr(run[i]))
            i += 1
            continue
        for size in (2, 4):
            try:
                out.append(run[i : i + size].decode("gb18030"))
            except UnicodeDecodeError:
                continue
            i += size
            break
        else:
            out.append(run[i : i + 1].decode(encoding, errors="replace"))
            i += 1
    return "".join(out)


def _decode_data(data: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


class EscPosDecoder:
    """Incremental ESC/POS decoder; one per connection (it keeps printer mode state)."""

    def __init__(self, chinese_mode: bool = True) -> None:
        self._chinese_default = chinese_mode
        self.chinese_mode = chinese_mode
        self.encoding = CODE_PAGES[0]
        self._buf = bytearray()
        self._base = 0  # stream offset of _buf[0]
        self._text = bytearray()
        self._qr_data: bytes | None = None
        self._qr_size = 3
        self._qr_ec = "L"

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
            text = decode_text(bytes(self._text), self.encoding, self.chinese_mode)
            out.append((Text(text), end))
            self._text.clear()

    def _command(self, buf: bytearray, pos: int) -> tuple[Event, int] | None:
        b = buf[pos]
        if b == 0x0A:
            return Feed(1), pos + 1
        if b not in _PREFIX:
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
        return self._interpret(bytes(buf[pos : pos + length])), pos + length

    def _interpret(self, raw: bytes) -> Event:
        prefix, arg = raw[:2], (raw[2] if len(raw) > 2 else 0)
        if prefix == b"\x1b@":
            self.encoding = CODE_PAGES[0]
            self.chinese_mode = self._chinese_default
            return Init()
        if prefix == b"\x1b!":
            return Style(
                bold=bool(arg & 8),
                underline=1 if arg & 128 else 0,
                width=2 if arg & 32 else 1,
                height=2 if arg & 16 else 1,
            )
        if prefix == b"\x1bE":
            return Style(bold=bool(arg & 1))
        if prefix == b"\x1b-" and arg in _ONE_OF_3:
            return Style(underline=arg % 48)
        if prefix == b"\x1ba" and arg in _ONE_OF_3:
            return Style(align=_ALIGN[arg % 48])
        if prefix == b"\x1d!":
            return Style(width=(arg >> 4 & 7) + 1, height=(arg & 7) + 1)
        if prefix == b"\x1bd":
            return Feed(arg)
        if prefix == b"\x1bJ":
            return Feed(0)
        if prefix == b"\x1bt":
            self.encoding = CODE_PAGES.get(arg, CODE_PAGES[0])
            return CodePage(arg, self.encoding)
        if prefix in (b"\x1c&", b"\x1c."):
            self.chinese_mode = prefix == b"\x1c&"
            return ChineseMode(self.chinese_mode)
        if prefix == b"\x1dV":
            if arg not in (0, 1, 48, 49, 65, 66, 97, 98, 103, 104):
                return Unknown(raw)
            return Cut(partial=arg in (1, 49, 66, 98, 104))
        if prefix in (b"\x1bi", b"\x1bm"):
            return Cut(partial=True)
        if prefix == b"\x10\x04":
            return StatusQuery(arg)
        if prefix == b"\x1dk":
            data = raw[4:] if arg >= 65 else raw[3:-1]
            return Barcode(arg, data.decode("latin-1"))
        if raw[:3] == b"\x1d(k" and len(raw) >= 7 and raw[5] == 49:
            qr = self._qr(raw[6], raw[7:])
            if qr is not None:
                return qr
        return Command(self._name(raw), raw)

    def _qr(self, fn: int, params: bytes) -> QrCode | None:
        if fn == 67 and params:  # size
            self._qr_size = params[0]
        elif fn == 69 and params:  # error correction
            self._qr_ec = _QR_EC.get(params[0], self._qr_ec)
        elif fn == 80 and params:  # store: m d1..dk
            self._qr_data = params[1:]
        elif fn == 81 and self._qr_data is not None:  # print
            return QrCode(_decode_data(self._qr_data), self._qr_size, self._qr_ec)
        return None

    @staticmethod
    def _name(raw: bytes) -> str:
        second = raw[1]
        name = f"{_PREFIX[raw[0]]} {chr(second) if 0x20 < second < 0x7F else f'0x{second:02x}'}"
        if second == 0x28 and len(raw) > 2:
            name += f" {chr(raw[2]) if 0x20 < raw[2] < 0x7F else f'0x{raw[2]:02x}'}"
        return name
