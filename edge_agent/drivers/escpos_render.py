"""ESC/POS bytes for a receipt. No I/O.

Rendering goes through python-escpos's ``Dummy`` printer, so the command encodings are the
library's, and the result is one ``bytes`` object: the driver then knows exactly when the side
effect starts (the one write) and can check the printer's status before and after it.

Text: python-escpos only switches to GB18030 when a line contains a character in
U+4E00..U+9FA5; a line of full-width punctuation ("：（）") or rarer CJK characters would be
pushed through its single-byte code pages and come out as "?". Chinese-market printers print
GB18030 in Chinese mode (``FS &``), and GB18030 is a superset of ASCII, so every text line is
encoded as GB18030 here, after ``ESC @`` + ``FS &`` at the start of each copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from protocols.jobs import FeedLine, QrLine, ReceiptParams, TextLine

INIT = b"\x1b@"
CHINESE_MODE = b"\x1c&"

if TYPE_CHECKING:
    from escpos.printer import Dummy


def render_receipt(params: ReceiptParams) -> bytes:
    """The whole job (all copies) as ESC/POS bytes."""
    # python-escpos pulls in Pillow, qrcode, python-barcode and PyYAML (about 8 MB): loaded
    # with the first receipt, not with the driver (issue 17)
    from escpos.printer import Dummy

    printer = Dummy()
    for _ in range(params.copies):
        printer._raw(INIT + CHINESE_MODE)
        for line in params.lines:
            if isinstance(line, TextLine):
                _text(printer, line)
            elif isinstance(line, QrLine):
                printer.set(align=line.align)
                printer.qr(line.data, size=line.size, native=True)
                printer._raw(b"\n")
            elif isinstance(line, FeedLine):
                printer._raw(b"\n" * line.lines)
        printer.set(align="left", bold=False, normal_textsize=True)
        if params.cut:
            printer.cut()
    return bytes(printer.output)


def _text(printer: Dummy, line: TextLine) -> None:
    if line.width == 1 and line.height == 1:
        printer.set(align=line.align, bold=line.bold, normal_textsize=True)
    else:
        printer.set(
            align=line.align,
            bold=line.bold,
            custom_size=True,
            width=line.width,
            height=line.height,
        )
    printer._raw(line.text.encode("gb18030", errors="replace") + b"\n")
