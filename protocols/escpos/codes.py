"""Barcode and 2-D code data as a reader decodes it, and the ``GS ( k`` symbol state.

``GS k`` CODE128 (m=73) data starts with a code set ``{A`` / ``{B`` / ``{C`` and may switch
(``{A {B {C``), shift one character (``{S``) or insert FNC1..4 (``{1``..``{4``); ``{{`` is a
literal brace. In code set C each byte is a pair of digits. A reader shows the characters, not
the switches, so that is what ``Barcode.data`` holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocols.escpos.charsets import decode_data
from protocols.escpos.events import Pdf417, QrCode

_QR_EC = {48: "L", 49: "M", 50: "Q", 51: "H"}


def code128_text(data: bytes) -> str:
    """Human-readable CODE128 data: code-set switches resolved, code C pairs as digits."""
    out: list[str] = []
    code, i = "B", 0
    shift = False
    while i < len(data):
        b = data[i]
        if b == 0x7B and i + 1 < len(data):  # "{"
            op = chr(data[i + 1])
            i += 2
            if op in "ABC":
                code = op
            elif op == "S":
                shift = True
            elif op == "{":
                out.append("{")
            continue  # FNC1..FNC4 are not characters
        active = ("B" if code == "A" else "A") if shift and code != "C" else code
        shift = False
        out.append(f"{b:02d}" if active == "C" and b < 100 else chr(b))
        i += 1
    return "".join(out)


def barcode_text(system: int, data: bytes) -> str:
    """What a reader shows for ``GS k`` symbology ``system`` carrying ``data``."""
    if system == 73:
        return code128_text(data)
    return data.decode("latin-1")


@dataclass
class Codes2D:
    """``GS ( k`` settings and stored data: QR (cn=49) and PDF417 (cn=48)."""

    qr_size: int = 3
    qr_ec: str = "L"
    qr_data: bytes | None = None
    pdf_module: int = 3
    pdf_row: int = 3
    pdf_data: bytes | None = None

    def handle(self, cn: int, fn: int, params: bytes) -> QrCode | Pdf417 | None:
        """Apply one ``GS ( k cn fn params``; the symbol event when it prints (fn 81)."""
        if cn == 49:
            return self._qr(fn, params)
        if cn == 48:
            return self._pdf417(fn, params)
        return None

    def _qr(self, fn: int, params: bytes) -> QrCode | None:
        if fn == 67 and params:  # module size
            self.qr_size = params[0]
        elif fn == 69 and params:  # error correction level
            self.qr_ec = _QR_EC.get(params[0], self.qr_ec)
        elif fn == 80 and params:  # store: m d1..dk
            self.qr_data = params[1:]
        elif fn == 81 and self.qr_data is not None:  # print
            return QrCode(decode_data(self.qr_data), self.qr_size, self.qr_ec)
        return None

    def _pdf417(self, fn: int, params: bytes) -> Pdf417 | None:
        if fn == 67 and params:  # module width
            self.pdf_module = params[0]
        elif fn == 68 and params:  # row height
            self.pdf_row = params[0]
        elif fn == 80 and params:
            self.pdf_data = params[1:]
        elif fn == 81 and self.pdf_data is not None:
            return Pdf417(decode_data(self.pdf_data), self.pdf_module, self.pdf_row)
        return None
