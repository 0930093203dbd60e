"""CODE128 as an ESC/POS printer encodes it.

``GS k 73`` data names its code sets: it starts with ``{A``, ``{B`` or ``{C`` and may switch
(``{A`` ``{B`` ``{C``), shift (``{S``), insert FNC1–4 (``{1``–``{4``) or a literal brace
(``{{``); in code set C each byte is one value 0–99. The printer follows that to the letter.
Data without the leading code-set prefix (the decoder strips it, or ``GS k 79`` "CODE128
auto") is encoded with the fewest symbol characters — the optimal switching between sets
A, B and C that a careful encoder (or the auto mode) makes.
"""

from __future__ import annotations

from protocols.escpos.paper_barcode_errors import BarcodeError


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The 107 patterns: widths of bar, space, bar, space, bar, space (stop: + a final bar).
_PATTERNS = _words(
    "212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 "
    "112232 122132 122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 "
    "311222 321122 321221 312212 322112 322211 212123 212321 232121 111323 131123 131321 "
    "112313 132113 132311 211313 231113 231311 112133 112331 132131 113123 113321 133121 "
    "313121 211331 231131 213113 213311 213131 311123 311321 331121 312113 312311 332111 "
    "314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 112412 122114 "
    "122411 142112 142211 241211 221114 413111 241112 134111 111242 121142 121241 114212 "
    "124112 124211 411212 421112 421211 212141 214121 412121 111143 111341 131141 114113 "
    "114311 411113 411311 113141 114131 311141 411131 211412 211214 211232 2331112"
)
_FNC = {"1": 102, "2": 97, "3": 96}
_START = {"A": 103, "B": 104, "C": 105}
_LATCH = {"A": {"B": 100, "C": 99}, "B": {"A": 101, "C": 99}, "C": {"A": 101, "B": 100}}
_STOP = 106


def _value(ch: str, code_set: str) -> int | None:
    """The symbol value of ``ch`` in code set A or B (None if the set lacks it)."""
    o = ord(ch)
    if code_set == "A":
        return o - 32 if 32 <= o < 96 else (o + 64 if o < 32 else None)
    return o - 32 if 32 <= o < 128 else None


def _hri_char(ch: str) -> str:
    return ch if ch.isprintable() else " "


def _explicit(data: str) -> tuple[list[int], str]:
    """Values (start included) and HRI text of printer data ``{A…``/``{B…``/``{C…``."""
    code_set, values, hri, i = data[1], [_START[data[1]]], [], 2
    shifted = False
    while i < len(data):
        ch = data[i]
        if ch == "{" and i + 1 < len(data) and data[i + 1] != "{":
            cmd, i = data[i + 1], i + 2
            if cmd in "ABC" and cmd != code_set:
                values.append(_LATCH[code_set][cmd])
                code_set = cmd
            elif cmd in _FNC:
                values.append(_FNC[cmd])
            elif cmd == "4" and code_set != "C":
                values.append(101 if code_set == "A" else 100)
            elif cmd == "S" and code_set != "C":
                values.append(98)
                shifted = True
                continue
            elif cmd not in "ABC":
                raise BarcodeError(f"CODE128 has no function {{{cmd}: not printed")
            continue
        i += 2 if ch == "{" else 1
        if code_set == "C":
            if ord(ch) > 99:
                raise BarcodeError(f"CODE128 code set C takes bytes 0-99, got {ord(ch)}")
            values.append(ord(ch))
            hri.append(f"{ord(ch):02d}")
            continue
        use = ("B" if code_set == "A" else "A") if shifted else code_set
        value = _value(ch, use)
        if value is None:
            raise BarcodeError(f"CODE128 code set {use} cannot encode {ch!r}: not printed")
        values.append(value)
        hri.append(_hri_char(ch))
        shifted = False
    return values, "".join(hri)


def _auto(data: str, fnc1: bool = False) -> tuple[list[int], str]:
    """The fewest values for ``data``: dynamic programming over (position, code set)."""
    if not data:
        raise BarcodeError("CODE128 needs at least one character: not printed")
    n, inf = len(data), 1 << 30
    cost = [{s: inf for s in "ABC"} for _ in range(n + 1)]
    back: list[dict[str, tuple[int, str]]] = [{} for _ in range(n + 1)]
    for s in "BCA":
        cost[0][s] = 1  # the start character
    for i in range(n):
        for s in "BCA":
            if cost[i][s] >= inf:
                continue
            for t in "BCA":
                step = _step(data, i, t)
                if step == 0:
                    continue
                c = cost[i][s] + (0 if s == t else 1) + 1
                if c < cost[i + step][t]:
                    cost[i + step][t], back[i + step][t] = c, (i, s)
    end = min("BCA", key=lambda s: cost[n][s])
    if cost[n][end] >= inf:
        raise BarcodeError(f"CODE128 cannot encode {data!r} (not ASCII): not printed")
    values = _replay(data, back, end)
    if fnc1:  # GS1-128: FNC1 right after the start character
        values.insert(1, _FNC["1"])
    return values, "".join(_hri_char(c) for c in data)


def _step(data: str, i: int, code_set: str) -> int:
    """Characters one value in ``code_set`` consumes at ``i`` (0: it cannot)."""
    if code_set == "C":
        pair = data[i : i + 2]
        return 2 if len(pair) == 2 and pair.isdigit() and pair.isascii() else 0
    return 1 if _value(data[i], code_set) is not None else 0


def _replay(data: str, back: list[dict[str, tuple[int, str]]], end: str) -> list[int]:
    path: list[tuple[int, int, str]] = []  # (from, to, set)
    i, s = len(data), end
    while i > 0:
        j, prev = back[i][s]
        path.append((j, i, s))
        i, s = j, prev
    path.reverse()
    values = [_START[path[0][2]]]
    current = path[0][2]
    for j, i, s in path:
        if s != current:
            values.append(_LATCH[current][s])
            current = s
        chunk = data[j:i]
        values.append(int(chunk) if s == "C" else _value(chunk, s) or 0)
    return values


def code128_values(data: str, *, fnc1: bool = False) -> tuple[list[int], str]:
    """Symbol values (start, data, check; no stop) and the HRI text of ``data``; ``fnc1``
    puts FNC1 after the start (GS1-128) when the data names no code sets."""
    explicit = len(data) >= 2 and data[0] == "{" and data[1] in "ABC"
    values, hri = _explicit(data) if explicit else _auto(data, fnc1)
    check = (values[0] + sum(i * v for i, v in enumerate(values[1:], start=1))) % 103
    return [*values, check], hri


def code128_widths(data: str, *, fnc1: bool = False) -> tuple[list[int], str]:
    """Module widths (bar, space, …) of the whole symbol, stop included, and the HRI text."""
    values, hri = code128_values(data, fnc1=fnc1)
    widths = [int(c) for v in [*values, _STOP] for c in _PATTERNS[v]]
    return widths, hri
