"""How a Chinese-market ESC/POS printer turns text bytes into characters.

- Chinese mode (``FS &``, the power-on default; ``FS .`` leaves it): bytes >= 0x80 are read in
  the multi-byte code system — GB18030 by default (what python-escpos and the npm encoders send
  for CJK text); a byte that does not start a valid sequence falls back to the ``ESC t`` code
  page (python-escpos sends e.g. "é" as CP437 0x82 without leaving Chinese mode).
- Code system: ``FS ( C`` fn 48 (Epson TM-T88VI and later: m=1 one-byte encodings, m=2
  UTF-8), and ``FS C n`` as Chinese-market printers document it (0 GB18030, 1 UTF-8, 2 Big5).
  Epson's Japanese models read ``FS C`` as JIS / Shift-JIS; this simulator is a Chinese one.
- ``ESC t n``: Epson's code page table (python-escpos' ``default`` profile numbers).
- ``ESC R n``: the international character set replaces twelve ASCII characters.
"""

from __future__ import annotations

CODE_PAGES: dict[int, str] = {
    0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 11: "cp851", 13: "cp857",
    14: "cp737",
    15: "iso8859_7", 16: "cp1252", 17: "cp866", 18: "cp852", 19: "cp858", 21: "cp874",
    32: "cp720", 33: "cp775", 34: "cp855", 35: "cp861", 36: "cp862", 37: "cp864",
    38: "cp869", 39: "iso8859_2", 40: "iso8859_15", 44: "cp1125", 45: "cp1250",
    46: "cp1251", 47: "cp1253", 48: "cp1254", 49: "cp1255", 50: "cp1256", 51: "cp1257",
    52: "cp1258", 53: "kz1048",
}  # fmt: skip
"""``ESC t n`` code pages we can decode; any other ``n`` reads as CP437."""

_CP851_HIGH = (
    "ÇüéâäàΆçêëèïîΈÄΉΊ\ufffdΌôöΎûùΏÖÜά£έήίϊΐόύΑΒΓΔΕΖΗ½ΘΙ«»░▒▓│┤ΚΛΝΜ╣║╗╝ΞΟ┐└┴┬├─┼ΠΡ╚╔╩╦╠═╬ΣΤΥΦΧΨΩ"
    "αβγ┘┌█▄δε▀ζηθικλμνξοπρσςτ´\xad±υφχ§ψ˛°¨ωϋΰώ■\xa0"
)
"""IBM CP851 (Greek) bytes 0x80..0xFF, which Python lacks (generated with glibc iconv)."""
_TABLES: dict[str, str] = {"cp851": _CP851_HIGH}
_OVERLAYS: dict[str, dict[int, str]] = {"cp857": {0xD5: "€"}}
"""Bytes Python's codec predates: IBM added "€" to CP857 at 0xD5, as Epson's PC857 has it."""


def decode_single(run: bytes, encoding: str) -> str:
    """One-byte code page text (``ESC t``), as the printer's character table shows it."""
    table = _TABLES.get(encoding)
    if table is not None:
        return "".join(chr(b) if b < 0x80 else table[b - 0x80] for b in run)
    overlay = _OVERLAYS.get(encoding)
    if overlay is not None and any(b in overlay for b in run):
        return "".join(overlay.get(b) or bytes([b]).decode(encoding, "replace") for b in run)
    return run.decode(encoding, errors="replace")


CODE_SYSTEMS: dict[int, str] = {0: "gb18030", 1: "utf-8", 2: "big5"}
"""``FS C n`` (n or ASCII "n") -> the multi-byte code system in Chinese mode."""

_REPLACED = "#$@[\\]^`{|}~"
_INTERNATIONAL: dict[int, str] = {
    1: "#$à°ç§^`éùè¨",  # France
    2: "#$§ÄÖÜ^`äöüß",  # Germany
    3: "£$@[\\]^`{|}~",  # UK
    4: "#$@ÆØÅ^`æøå~",  # Denmark I
    5: "#¤ÉÄÖÅÜéäöåü",  # Sweden
    6: "#$@°\\é^ùàòèì",  # Italy
    7: "₧$@¡Ñ¿^`¨ñ}~",  # Spain I
    8: "#$@[¥]^`{|}~",  # Japan
    9: "#¤ÉÆØÅÜéæøåü",  # Norway
    10: "#$ÉÆØÅÜéæøåü",  # Denmark II
    11: "#$á¡Ñ¿é`íñóú",  # Spain II
    12: "#$á¡Ñ¿éüíñóú",  # Latin America
    13: "#$@[₩]^`{|}~",  # Korea
    15: "#¥@[\\]^`{|}~",  # China
}
"""``ESC R n`` -> what the twelve replaceable ASCII characters print as (0 = USA: unchanged)."""


def international(text: str, n: int) -> str:
    """``text`` as printed with ``ESC R n`` in force."""
    table = _INTERNATIONAL.get(n)
    if table is None:
        return text
    return text.translate({ord(a): b for a, b in zip(_REPLACED, table, strict=True)})


def decode_text(run: bytes, encoding: str, chinese: bool, system: str = "gb18030") -> str:
    """Decode printable bytes as the printer would (see the module docstring)."""
    if not chinese:
        return decode_single(run, encoding)
    if system == "utf-8":
        return run.decode("utf-8", errors="replace")
    try:
        return run.decode(system)
    except UnicodeDecodeError:
        pass
    out: list[str] = []
    i = 0
    while i < len(run):
        if run[i] < 0x80:
            out.append(chr(run[i]))
            i += 1
            continue
        for size in (2, 4) if system == "gb18030" else (2,):
            try:
                out.append(run[i : i + size].decode(system))
            except UnicodeDecodeError:
                continue
            i += size
            break
        else:
            out.append(decode_single(run[i : i + 1], encoding))
            i += 1
    return "".join(out)


def decode_data(data: bytes) -> str:
    """2-D code data as a reader shows it: UTF-8, else GB18030, else Latin-1."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")
