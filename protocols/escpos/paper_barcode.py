"""1-D barcodes as bar/space widths, per the symbology standards, as ``GS k`` prints them.

``encode(symbology, data)`` gives a ``Symbol``: element widths alternating bar, space, bar…
(starting with a bar) and the human-readable (HRI) text. Multi-level symbologies (EAN/UPC,
CODE128, CODE93) count widths in modules; binary-level ones (CODE39, ITF, CODABAR) in
narrow (1) / wide (2) elements, which ``GS w`` sizes separately (``element_dots``). The
printer adds no quiet zone, and neither do we: the host leaves room (a left margin,
centring). Data a printer refuses (a letter in an EAN, an odd-length ITF…) raises
``BarcodeError`` saying why; the renderer then prints nothing there, as the printer would.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocols.escpos.paper_barcode_errors import BarcodeError
from protocols.escpos.paper_code93 import code93_widths
from protocols.escpos.paper_code128 import code128_widths

__all__ = ["BarcodeError", "Symbol", "element_dots", "encode"]


@dataclass(frozen=True, slots=True)
class Symbol:
    widths: tuple[int, ...]  # bar, space, bar, … (modules, or 1 narrow / 2 wide)
    hri: str
    binary: bool  # True: widths are narrow/wide elements (CODE39, ITF, CODABAR)


#: GS w n → (narrow, wide) element widths in dots for binary-level symbologies (Epson TM
#: table: 0.282/0.706 mm … 0.847/2.258 mm at 180 dpi)
_WIDE = {1: 3, 2: 5, 3: 8, 4: 10, 5: 13, 6: 16}


def element_dots(symbol: Symbol, module: int) -> list[int]:
    """Each element's width in dots for ``GS w module``."""
    if not symbol.binary:
        return [w * module for w in symbol.widths]
    wide = _WIDE.get(module, round(module * 2.5))
    return [module if w == 1 else wide for w in symbol.widths]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# EAN/UPC digit patterns: the L set's widths (space, bar, space, bar); R is L with bars and
# spaces swapped (same widths, starting with a bar), G is R reversed.
_L = ("3211", "2221", "2122", "1411", "1132", "1231", "1114", "1312", "1213", "3112")
_EAN13_PARITY = _words("LLLLLL LLGLGG LLGGLG LLGGGL LGLLGG LGGLLG LGGGLL LGLGLG LGLGGL LGGLGL")
# UPC-E, number system 0 (1 swaps L and G)
_UPCE_PARITY = _words("GGGLLL GGLGLL GGLLGL GGLLLG GLGGLL GLLGGL GLLLGG GLGLGL GLGLLG GLLGLG")


def _digit(d: str, kind: str) -> list[int]:
    widths = [int(c) for c in _L[int(d)]]
    return widths[::-1] if kind == "G" else widths


def _check_digit(digits: str) -> str:
    """The EAN/UPC check digit: weights 3, 1, 3… from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def _digits(data: str, lengths: tuple[int, ...], name: str) -> str:
    if not data.isdigit() or not data.isascii() or len(data) not in lengths:
        raise BarcodeError(
            f"{name} needs {' or '.join(map(str, lengths))} digits, got {data!r}: not printed"
        )
    return data


def _ean(digits: str, parity: str) -> list[int]:
    """Guards and digits of an EAN-13/EAN-8/UPC-A: left half per ``parity``, right half R."""
    half = len(digits) // 2
    out = [1, 1, 1]
    for d, kind in zip(digits[:half], parity, strict=True):
        out += _digit(d, kind)
    out += [1, 1, 1, 1, 1]
    for d in digits[half:]:
        out += _digit(d, "R")
    return [*out, 1, 1, 1]


def ean13(data: str) -> Symbol:
    """JAN13/EAN-13 of 12 digits (13: the printer recomputes the check digit)."""
    body = _digits(data, (12, 13), "EAN-13")[:12]
    full = body + _check_digit(body)
    return Symbol(tuple(_ean(full[1:], _EAN13_PARITY[int(full[0])])), full, False)


def ean8(data: str) -> Symbol:
    body = _digits(data, (7, 8), "EAN-8")[:7]
    full = body + _check_digit(body)
    return Symbol(tuple(_ean(full, "LLLL")), full, False)


def upca(data: str) -> Symbol:
    body = _digits(data, (11, 12), "UPC-A")[:11]
    full = body + _check_digit(body)
    return Symbol(tuple(_ean(full, "LLLLLL")), full, False)


def upce(data: str) -> Symbol:
    """UPC-E of 6, 7 or 8 digits (number system 0/1 first when 7 or 8), or the 11/12-digit
    UPC-A form of a zero-suppressible number."""
    digits = _digits(data, (6, 7, 8, 11, 12), "UPC-E")
    if len(digits) >= 11:
        ns, six = digits[0], _compress_upca(digits[:11])
    else:
        ns, six = ("0", digits) if len(digits) == 6 else (digits[0], digits[1:7])
    if ns not in "01":
        raise BarcodeError(f"UPC-E number system must be 0 or 1, got {ns}: not printed")
    check = _check_digit(_expand_upce(ns, six))
    parity = _UPCE_PARITY[int(check)]
    if ns == "1":
        parity = parity.translate(str.maketrans("LG", "GL"))
    out = [1, 1, 1]
    for d, kind in zip(six, parity, strict=True):
        out += _digit(d, kind)
    return Symbol((*out, 1, 1, 1, 1, 1, 1), ns + six + check, False)


def _expand_upce(ns: str, e: str) -> str:
    """The 11-digit UPC-A body that UPC-E digits ``e`` stand for."""
    last = e[5]
    if last in "012":
        return ns + e[0:2] + last + "0000" + e[2:5]
    if last == "3":
        return ns + e[0:3] + "00000" + e[3:5]
    if last == "4":
        return ns + e[0:4] + "00000" + e[4]
    return ns + e[0:5] + "0000" + last


def _compress_upca(a: str) -> str:
    m, p = a[1:6], a[6:11]
    if m[2:] in ("000", "100", "200") and p[:2] == "00":
        return m[0:2] + p[2:5] + m[2]
    if m[3:] == "00" and p[:3] == "000":
        return m[0:3] + p[3:5] + "3"
    if m[4] == "0" and p[:4] == "0000":
        return m[0:4] + p[4] + "4"
    if p[:4] == "0000" and p[4] in "56789":
        return m + p[4]
    raise BarcodeError(f"UPC-A {a} has no UPC-E (zero-suppressed) form: not printed")


_CODE39_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"
_CODE39 = _words(
    "nnnwwnwnn wnnwnnnnw nnwwnnnnw wnwwnnnnn nnnwwnnnw wnnwwnnnn nnwwwnnnn nnnwnnwnw wnnwnnwnn "
    "nnwwnnwnn wnnnnwnnw nnwnnwnnw wnwnnwnnn nnnnwwnnw wnnnwwnnn nnwnwwnnn nnnnnwwnw wnnnnwwnn "
    "nnwnnwwnn nnnnwwwnn wnnnnnnww nnwnnnnww wnwnnnnwn nnnnwnnww wnnnwnnwn nnwnwnnwn nnnnnnwww "
    "wnnnnnwwn nnwnnnwwn nnnnwnwwn wwnnnnnnw nwwnnnnnw wwwnnnnnn nwnnwnnnw wwnnwnnnn nwwnwnnnn "
    "nwnnnnwnw wwnnnnwnn nwwnnnwnn nwnwnwnnn nwnwnnnwn nwnnnwnwn nnnwnwnwn"
)
_CODE39_STAR = "nwnnwnwnn"


def _nw(pattern: str) -> list[int]:
    return [2 if c in "wW" else 1 for c in pattern]


def code39(data: str) -> Symbol:
    """CODE39; the printer adds the ``*`` start/stop characters (or keeps the host's)."""
    body = data[1:-1] if len(data) >= 2 and data[0] == data[-1] == "*" else data
    bad = sorted({c for c in body if c not in _CODE39_CHARS})
    if not body or bad:
        raise BarcodeError(f"CODE39 cannot encode {''.join(bad) or 'empty data'}: not printed")
    out = _nw(_CODE39_STAR)
    for c in body:
        out += [1, *_nw(_CODE39[_CODE39_CHARS.index(c)])]
    return Symbol((*out, 1, *_nw(_CODE39_STAR)), f"*{body}*", True)


_ITF = ("nnwwn", "wnnnw", "nwnnw", "wwnnn", "nnwnw", "wnwnn", "nwwnn", "nnnww", "wnnwn", "nwnwn")


def itf(data: str) -> Symbol:
    """Interleaved 2 of 5: digit pairs, bars from the first, spaces from the second."""
    if not data.isdigit() or not data.isascii() or len(data) < 2:
        raise BarcodeError(f"ITF needs digits (an even number), got {data!r}: not printed")
    digits = data[: len(data) // 2 * 2]  # an odd last digit is ignored, as Epson does
    out = [1, 1, 1, 1]
    for a, b in zip(digits[::2], digits[1::2], strict=True):
        for bar, space in zip(_ITF[int(a)], _ITF[int(b)], strict=True):
            out += _nw(bar + space)
    return Symbol((*out, 2, 1, 1), digits, True)


_CODABAR = {
    "0": "nnnnnww", "1": "nnnnwwn", "2": "nnnwnnw", "3": "wwnnnnn", "4": "nnwnnwn",
    "5": "wnnnnwn", "6": "nwnnnnw", "7": "nwnnwnn", "8": "nwwnnnn", "9": "wnnwnnn",
    "-": "nnnwwnn", "$": "nnwwnnn", ":": "wnnnwnw", "/": "wnwnnnw", ".": "wnwnwnn",
    "+": "nnwnwnw", "A": "nnwwnwn", "B": "nwnwnnw", "C": "nnnwnww", "D": "nnnwwwn",
}  # fmt: skip


def codabar(data: str) -> Symbol:
    """CODABAR (NW-7): the data carries its own start/stop characters A–D."""
    text = data.upper()
    ends_ok = len(text) >= 2 and text[0] in "ABCD" and text[-1] in "ABCD"
    inner_ok = all(c in _CODABAR and c not in "ABCD" for c in text[1:-1])
    if not ends_ok or not inner_ok:
        raise BarcodeError(
            f"CODABAR needs start/stop A-D around 0-9 - $ : / . +, got {data!r}: not printed"
        )
    out: list[int] = []
    for i, c in enumerate(text):
        out += ([1] if i else []) + _nw(_CODABAR[c])
    return Symbol(tuple(out), text, True)


def code128(data: str) -> Symbol:
    widths, hri = code128_widths(data)
    return Symbol(tuple(widths), hri, False)


def gs1_128(data: str) -> Symbol:
    """GS1-128: CODE128 with FNC1 after the start; the AIs' parentheses are HRI only."""
    if data.startswith("{"):
        return code128(data)
    plain = "".join(c for c in data if c not in "() ")
    widths, _ = code128_widths(plain, fnc1=True)
    return Symbol(tuple(widths), data, False)


def code93(data: str) -> Symbol:
    widths, hri = code93_widths(data)
    return Symbol(tuple(widths), hri, False)


_ENCODERS = {
    "EAN13": ean13, "JAN13": ean13, "EAN8": ean8, "JAN8": ean8, "UPCA": upca, "UPCE": upce,
    "CODE39": code39, "ITF": itf, "ITF14": itf, "CODABAR": codabar, "NW7": codabar,
    "CODE93": code93, "CODE128": code128, "CODE128AUTO": code128, "GS1128": gs1_128,
}  # fmt: skip


def encode(symbology: str, data: str, raw: str = "") -> Symbol:
    """The bars of ``data`` in ``symbology`` (names as in ``layout.BarcodeItem``); ``raw``,
    the data as the host sent it, decides CODE128's code sets when it names them."""
    key = "".join(c for c in symbology.upper() if c.isalnum())
    encoder = _ENCODERS.get(key)
    if encoder is None:
        raise BarcodeError(f"[{symbology}] {data} (this renderer does not draw {symbology})")
    if key.startswith("CODE128") and raw.startswith("{"):
        data = raw
    return encoder(data)
