"""CODE93 (``GS k 72``): full ASCII data, two check characters, as the printer prints it.

Each character is 9 modules in three bars and three spaces; characters outside the 43 of
the basic set go as a pair with one of the four shift characters ($) (%) (/) (+) (the
standard's full-ASCII table). The check characters C and K are added, then the stop and a
one-module termination bar.
"""

from __future__ import annotations

from protocols.escpos.paper_barcode_errors import BarcodeError

_BASIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"
_SHIFT_DOLLAR, _SHIFT_PERCENT, _SHIFT_SLASH, _SHIFT_PLUS = 43, 44, 45, 46
_START_STOP = "111141"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# widths of bar, space, bar, space, bar, space for values 0..46
_PATTERNS = _words(
    "131112 111213 111312 111411 121113 121212 121311 111114 131211 141111 211113 211212 "
    "211311 221112 221211 231111 112113 112212 112311 122112 132111 111123 111222 111321 "
    "121122 131121 212112 212211 211122 211221 221121 222111 112122 112221 122121 123111 "
    "121131 311112 311211 321111 112131 113121 211131 121221 312111 311121 122211"
)


def _full_ascii(ch: str) -> list[int]:
    """The value(s) for one ASCII character: itself, or a shift and a letter."""
    o = ord(ch)
    if ch in _BASIC:
        return [_BASIC.index(ch)]
    if "a" <= ch <= "z":
        return [_SHIFT_PLUS, _BASIC.index(ch.upper())]
    if 1 <= o <= 26:
        return [_SHIFT_DOLLAR, 9 + o]
    special = {0: (_SHIFT_PERCENT, "U"), 64: (_SHIFT_PERCENT, "V"), 96: (_SHIFT_PERCENT, "W")}
    special[58] = (_SHIFT_SLASH, "Z")
    special[127] = (_SHIFT_PERCENT, "T")
    if o in special:
        shift, letter = special[o]
        return [shift, _BASIC.index(letter)]
    ranges = ((27, 31, "A"), (59, 63, "F"), (91, 95, "K"), (123, 126, "P"))
    for low, high, first in ranges:
        if low <= o <= high:
            return [_SHIFT_PERCENT, _BASIC.index(first) + o - low]
    if 33 <= o <= 44:
        return [_SHIFT_SLASH, _BASIC.index("A") + o - 33]
    raise BarcodeError(f"CODE93 cannot encode {ch!r} (ASCII only): not printed")


def _check(values: list[int], limit: int) -> int:
    return sum(v * ((i % limit) + 1) for i, v in enumerate(reversed(values))) % 47


def code93_widths(data: str) -> tuple[list[int], str]:
    """Module widths (bar, space, …) of the whole symbol and the HRI text."""
    if not data:
        raise BarcodeError("CODE93 needs at least one character: not printed")
    values = [v for ch in data for v in _full_ascii(ch)]
    values.append(_check(values, 20))
    values.append(_check(values, 15))
    widths = [int(c) for c in _START_STOP]
    for v in values:
        widths += [int(c) for c in _PATTERNS[v]]
    widths += [int(c) for c in _START_STOP] + [1]
    return widths, "".join(c if c.isprintable() else " " for c in data)
