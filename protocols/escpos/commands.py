"""One complete ESC/POS command (its bytes) -> the event it means, with the decoder's modes.

Framing (how long a command is) lives in ``protocols.escpos.decoder``; this module reads the
parameters. Modes that change how later bytes decode (code page, Chinese mode, stored images
and codes) are kept in ``Modes``; everything about layout is the receipt builder's business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from protocols.escpos import graphics
from protocols.escpos.charsets import CODE_PAGES, CODE_SYSTEMS
from protocols.escpos.codes import Codes2D, barcode_text
from protocols.escpos.events import (
    Align,
    AutoStatus,
    Barcode,
    BarcodeSetup,
    Charset,
    ChineseMode,
    CodePage,
    Command,
    Cut,
    Event,
    Feed,
    Hri,
    Image,
    Init,
    Position,
    PrinterIdQuery,
    ProcessIdQuery,
    RealtimeRequest,
    Spacing,
    StatusQuery,
    Style,
    TabStops,
    TransmitStatus,
    Unknown,
)
from protocols.escpos.graphics import Bitmap

PREFIX = {0x1B: "ESC", 0x1C: "FS", 0x1D: "GS", 0x10: "DLE"}
_ALIGN: dict[int, Align] = {0: "left", 1: "center", 2: "right"}
_HRI: dict[int, Hri] = {0: "none", 1: "above", 2: "below", 3: "both"}
_ONE_OF_3 = (0, 1, 2, 48, 49, 50)  # n and ASCII "n" both select option n
_CUTS = (0, 1, 48, 49, 65, 66, 97, 98, 103, 104)
_PARTIAL_CUTS = (1, 49, 66, 98, 104)


@dataclass
class Modes:
    """Decoder state that outlives one command."""

    chinese_default: bool = True
    chinese: bool = True
    encoding: str = CODE_PAGES[0]
    system: str = "gb18030"
    international: int = 0
    codes: Codes2D = field(default_factory=Codes2D)
    graphics: Bitmap | None = None  # GS ( L / GS 8 L fn 112, printed by fn 50
    downloaded: Bitmap | None = None  # GS *, printed by GS /
    nv_images: list[Bitmap] = field(default_factory=list)  # FS q, printed by FS p
    keyed: dict[tuple[str, int, int], Bitmap] = field(default_factory=dict)
    """GS ( L / GS 8 L fn 67 (NV) and fn 83 (download) graphics by key, printed by 69 / 85."""

    def reset(self) -> None:
        """``ESC @``: power-on modes; stored (downloaded / NV) images survive, as on paper."""
        self.chinese, self.encoding = self.chinese_default, CODE_PAGES[0]
        self.system, self.international = "gb18030", 0
        self.codes, self.graphics = Codes2D(), None


def name(raw: bytes) -> str:
    """``"ESC t"``, ``"GS ( k"``, ``"DLE 0x14"``: a command's name for humans and tests."""
    second = raw[1]
    text = f"{PREFIX[raw[0]]} {chr(second) if 0x20 < second < 0x7F else f'0x{second:02x}'}"
    if second == 0x28 and len(raw) > 2:
        text += f" {chr(raw[2]) if 0x20 < raw[2] < 0x7F else f'0x{raw[2]:02x}'}"
    return text


def _n(arg: int) -> int:
    """n or ASCII "n" (48..) -> n."""
    return arg - 48 if arg >= 48 else arg


def _esc_bang(arg: int) -> Style:
    return Style(
        font="B" if arg & 1 else "A",
        bold=bool(arg & 8),
        underline=1 if arg & 128 else 0,
        width=2 if arg & 32 else 1,
        height=2 if arg & 16 else 1,
    )


def _style(raw: bytes, modes: Modes) -> Event:
    prefix, arg = raw[:2], raw[2]
    if prefix == b"\x1b!":
        return _esc_bang(arg)
    if prefix in (b"\x1bE", b"\x1bG"):  # bold / double-strike: both print heavier
        return Style(bold=bool(arg & 1))
    if prefix == b"\x1b-" and arg in _ONE_OF_3:
        return Style(underline=_n(arg))
    if prefix == b"\x1ba" and arg in _ONE_OF_3:
        return Style(align=_ALIGN[_n(arg)])
    if prefix == b"\x1bM" and _n(arg) in (0, 1, 2):
        return Style(font="A" if _n(arg) == 0 else "B")
    if prefix == b"\x1d!":
        return Style(width=(arg >> 4 & 7) + 1, height=(arg & 7) + 1, wide_width=0, wide_height=0)
    if prefix == b"\x1dB":
        return Style(reverse=bool(arg & 1))
    if prefix == b"\x1c!":
        return Style(wide_width=2 if arg & 4 else 1, wide_height=2 if arg & 8 else 1)
    if prefix == b"\x1cW":
        return Style(wide_width=2 if arg & 1 else 1, wide_height=2 if arg & 1 else 1)
    return Unknown(raw)


def _layout(raw: bytes, modes: Modes) -> Event:
    prefix, arg = raw[:2], raw[2] if len(raw) > 2 else 0
    u16 = raw[2] + 256 * raw[3] if len(raw) > 3 else 0
    simple: dict[bytes, Event] = {
        b"\x1b$": Position(u16),
        b"\x1b\\": Position(u16 - 0x10000 if u16 & 0x8000 else u16, relative=True),
        b"\x1b2": Spacing(line=-1),
        b"\x1b3": Spacing(line=arg),
        b"\x1b ": Spacing(char=arg),
        b"\x1cS": Spacing(wide_char=arg + (raw[3] if len(raw) > 3 else 0)),
        b"\x1dL": Spacing(left=u16),
        b"\x1dW": Spacing(width=u16),
        b"\x1bd": Feed(arg),
        b"\x1bJ": Feed(0, dots=arg),
    }
    if prefix == b"\x1bD":
        stops: list[int] = []
        for column in raw[2:-1]:  # ascending; a smaller value ends the list
            if stops and column <= stops[-1]:
                break
            stops.append(column)
        return TabStops(tuple(stops))
    return simple[prefix]


def _charset(raw: bytes, modes: Modes) -> Event:
    prefix, arg = raw[:2], raw[2] if len(raw) > 2 else 0
    if prefix == b"\x1bt":
        modes.encoding = CODE_PAGES.get(arg, CODE_PAGES[0])
        return CodePage(arg, modes.encoding)
    if prefix == b"\x1bR":
        modes.international = arg
        return Charset(international=arg)
    if prefix in (b"\x1c&", b"\x1c."):
        modes.chinese = prefix == b"\x1c&"
        return ChineseMode(modes.chinese)
    if prefix == b"\x1cC" and _n(arg) in CODE_SYSTEMS:
        modes.system = CODE_SYSTEMS[_n(arg)]
        return Charset(system=modes.system)
    return Unknown(raw)


def _fs_paren(raw: bytes, modes: Modes) -> Event:
    """``FS ( C pL pH fn=48 m``: m 1 = one-byte / legacy multi-byte, m 2 = UTF-8."""
    if raw[2] == 0x43 and len(raw) >= 7 and raw[5] == 48 and _n(raw[6]) in (1, 2):
        modes.system = "utf-8" if _n(raw[6]) == 2 else "gb18030"
        return Charset(system=modes.system)
    return Command(name(raw), raw)


def _cut(raw: bytes, modes: Modes) -> Event:
    if raw[:2] != b"\x1dV":
        return Cut(partial=True)  # ESC i / ESC m
    return Cut(partial=raw[2] in _PARTIAL_CUTS) if raw[2] in _CUTS else Unknown(raw)


def _status(raw: bytes, modes: Modes) -> Event:
    prefix, arg = raw[:2], raw[2]
    if prefix == b"\x10\x04":
        return StatusQuery(arg, raw[3] if len(raw) > 3 else 0)
    if prefix == b"\x10\x05":
        return RealtimeRequest("DLE ENQ", arg)
    if prefix == b"\x10\x14":
        return RealtimeRequest("DLE DC4", arg, raw[3:])
    if prefix == b"\x1dr":
        return TransmitStatus(_n(arg))
    if prefix == b"\x1da":
        return AutoStatus(arg)
    return PrinterIdQuery(arg)  # GS I


def _barcode(raw: bytes, modes: Modes) -> Event:
    prefix, arg = raw[:2], raw[2]
    if prefix == b"\x1dk":
        data = raw[4:] if arg >= 65 else raw[3:-1]
        sent = data.decode("latin-1") if arg in (73, 74) else ""
        return Barcode(arg, barcode_text(arg, data), sent)
    if prefix == b"\x1dh":
        return BarcodeSetup(height=arg)
    if prefix == b"\x1dw":
        return BarcodeSetup(module=arg)
    if prefix == b"\x1dH":
        return BarcodeSetup(hri=_HRI.get(_n(arg) & 3, "none"))
    return BarcodeSetup(hri_font="B" if _n(arg) & 1 else "A")  # GS f


def _image(bitmap: Bitmap | None, source: str, raw: bytes, in_line: bool = False) -> Event:
    if bitmap is None:
        return Unknown(raw)
    return Image(bitmap.width, bitmap.height, bitmap.rows, source, in_line)


def _graphics(raw: bytes, modes: Modes) -> Event:
    prefix = raw[:2]
    if prefix == b"\x1dv":
        return _image(graphics.gs_v0(raw), "GS v 0", raw)
    if prefix == b"\x1b*":
        return _image(graphics.esc_star(raw), "ESC *", raw, in_line=True)
    if prefix == b"\x1d*":
        modes.downloaded = graphics.gs_star(raw)
        return Command("GS *", raw)
    if prefix == b"\x1d/":
        image = modes.downloaded
        return _image(image and graphics.scaled_by_mode(image, raw[2]), "GS /", raw)
    if prefix == b"\x1cq":
        modes.nv_images = graphics.fs_q(raw)
        return Command("FS q", raw)
    if prefix == b"\x1cp":
        n = raw[2]
        image = modes.nv_images[n - 1] if 1 <= n <= len(modes.nv_images) else None
        return _image(image and graphics.scaled_by_mode(image, raw[3]), "FS p", raw)
    return _gs_l(raw, modes)


STORE_LIMIT = 1 << 22
"""Bytes of keyed graphics kept; defining more drops the oldest (memory stays bounded)."""
_KEYED_DEFINE = {67: "NV", 83: "download"}
_KEYED_PRINT = {69: "NV", 85: "download"}


def _gs_l(raw: bytes, modes: Modes) -> Event:
    """``GS ( L pL pH m fn ...`` / ``GS 8 L p1..p4 m fn ...``: fn 112 store, fn 50 print the
    buffered graphics; fn 67 / 83 define NV / download graphics under a key (kc1 kc2), fn 69 /
    85 print them (x, y scale 1 or 2)."""
    body = raw[5:] if raw[1] == 0x28 else raw[7:]
    source = "GS ( L" if raw[1] == 0x28 else "GS 8 L"
    fn = body[1] if len(body) >= 2 else -1
    if fn == 112:
        modes.graphics = graphics.graphics_store(body[2:])
        return Command(source, raw) if modes.graphics is not None else Unknown(raw)
    if fn == 50:
        return _image(modes.graphics, source, raw)
    if fn in _KEYED_DEFINE and len(body) >= 11 and body[2] == 48:  # a=48: raster
        width, height = body[6] + 256 * body[7], body[8] + 256 * body[9]
        key = (_KEYED_DEFINE[fn], body[3], body[4])
        modes.keyed.pop(key, None)
        modes.keyed[key] = graphics.from_rows(width, height, body[11:])  # first colour only
        while sum(len(image.rows) for image in modes.keyed.values()) > STORE_LIMIT:
            del modes.keyed[next(iter(modes.keyed))]  # a printer's graphics memory is finite
        return Command(source, raw)
    if fn in _KEYED_PRINT and len(body) >= 6 and body[4] in (1, 2) and body[5] in (1, 2):
        image = modes.keyed.get((_KEYED_PRINT[fn], body[2], body[3]))
        return _image(image and image.scaled(body[4], body[5]), source, raw)
    if fn in _KEYED_PRINT:
        return Unknown(raw)
    return Command(source, raw)


def _codes(raw: bytes, modes: Modes) -> Event:
    """``GS ( k pL pH cn fn params``."""
    if len(raw) >= 7:
        printed = modes.codes.handle(raw[5], raw[6], raw[7:])
        if printed is not None:
            return printed
    return Command("GS ( k", raw)


Handler = Callable[[bytes, Modes], Event]
HANDLERS: dict[bytes, Handler] = {
    **dict.fromkeys([b"\x1b!", b"\x1bE", b"\x1bG", b"\x1b-", b"\x1ba", b"\x1bM"], _style),
    **dict.fromkeys([b"\x1d!", b"\x1dB", b"\x1c!", b"\x1cW"], _style),
    **dict.fromkeys([b"\x1b$", b"\x1b\\", b"\x1b2", b"\x1b3", b"\x1b ", b"\x1cS"], _layout),
    **dict.fromkeys([b"\x1dL", b"\x1dW", b"\x1bd", b"\x1bJ", b"\x1bD"], _layout),
    **dict.fromkeys([b"\x1bt", b"\x1bR", b"\x1c&", b"\x1c.", b"\x1cC"], _charset),
    **dict.fromkeys([b"\x1dV", b"\x1bi", b"\x1bm"], _cut),
    **dict.fromkeys([b"\x10\x04", b"\x10\x05", b"\x10\x14", b"\x1dr", b"\x1da", b"\x1dI"], _status),
    **dict.fromkeys([b"\x1dk", b"\x1dh", b"\x1dw", b"\x1dH", b"\x1df"], _barcode),
    **dict.fromkeys([b"\x1dv", b"\x1b*", b"\x1d*", b"\x1d/", b"\x1cq", b"\x1cp"], _graphics),
    **dict.fromkeys([b"\x1d(", b"\x1d8"], _gs_l),
    b"\x1c(": _fs_paren,
}


def interpret(raw: bytes, modes: Modes) -> Event:
    """The event for one complete command ``raw``."""
    prefix = raw[:2]
    if prefix == b"\x1b@":
        modes.reset()
        return Init()
    if raw[:3] == b"\x1d(k":
        return _codes(raw, modes)
    if raw[:3] == b"\x1d(H" and len(raw) == 11 and raw[5:7] == b"00":
        return ProcessIdQuery(raw[7:11])  # GS ( H fn 48: process ID response
    if prefix == b"\x1d(" and raw[2] != 0x4C:  # GS ( other than L
        return Command(name(raw), raw)
    handler = HANDLERS.get(prefix)
    return handler(raw, modes) if handler is not None else Command(name(raw), raw)
