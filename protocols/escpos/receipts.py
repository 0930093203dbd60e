"""Receipts as a customer would see them, built from decoded ESC/POS events."""

from __future__ import annotations

from dataclasses import dataclass, field

from protocols.escpos.decoder import EscPosDecoder
from protocols.escpos.events import (
    Align,
    Barcode,
    Cut,
    Event,
    Feed,
    Init,
    QrCode,
    Style,
    Text,
)
from protocols.escpos.layout import PAPER_80MM, Item


@dataclass(frozen=True, slots=True)
class LineMeta:
    """How a line was printed: the modes in effect for its first character."""

    align: Align = "left"
    bold: bool = False
    width: int = 1
    height: int = 1


@dataclass
class Receipt:
    """One receipt as printed: text lines (with per-line metadata), QR and barcode data."""

    lines: list[str] = field(default_factory=list)
    meta: list[LineMeta] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    barcodes: list[str] = field(default_factory=list)
    cut: bool = False
    #: everything printed, in print order, with positions (``protocols.escpos.layout``)
    items: list[Item] = field(default_factory=list)
    #: width of the printable area in dots (576 on 80 mm paper, 384 on 58 mm)
    paper_dots: int = PAPER_80MM

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def render(self) -> str:
        """Text for a human or a test: the lines, then one ``[QR] data`` line per QR code."""
        extra = [f"[QR] {d}" for d in self.qr] + [f"[BARCODE] {d}" for d in self.barcodes]
        return "\n".join([*self.lines, *extra]) + "\n"


class ReceiptBuilder:
    """Turns events into receipts; a receipt ends at each cut (``add`` returns it)."""

    def __init__(self) -> None:
        self._style = LineMeta()
        self._underline = 0
        self._receipt = Receipt()
        self._line: list[str] = []
        self._line_meta: LineMeta | None = None
        self.printed = False
        """Whether anything was printed (text, feed, codes) since the last cut."""

    def add(self, event: Event) -> Receipt | None:
        if isinstance(event, Text):
            if self._line_meta is None:
                self._line_meta = self._style
            self._line.append(event.text)
        elif isinstance(event, Feed):
            if event.lines > 0 or self._line:
                self._end_line()
            for _ in range(event.lines - 1):
                self._end_line()
        elif isinstance(event, Init):
            self._line, self._line_meta, self._style = [], None, LineMeta()
            return None
        elif isinstance(event, Style):
            self._apply(event)
            return None
        elif isinstance(event, QrCode):
            self._receipt.qr.append(event.data)
        elif isinstance(event, Barcode):
            self._receipt.barcodes.append(event.data)
        elif isinstance(event, Cut):
            if self._line:
                self._end_line()
            self._receipt.cut = True
            return self._take()
        else:
            return None
        self.printed = True
        return None

    def finish(self) -> Receipt | None:
        """End of stream: the unfinished receipt if anything was printed since the last cut."""
        if self._line:
            self._end_line()
        return self._take() if self.printed else None

    def _apply(self, s: Style) -> None:
        old = self._style
        self._style = LineMeta(
            align=old.align if s.align is None else s.align,
            bold=old.bold if s.bold is None else s.bold,
            width=old.width if s.width is None else s.width,
            height=old.height if s.height is None else s.height,
        )

    def _end_line(self) -> None:
        self._receipt.lines.append("".join(self._line))
        self._receipt.meta.append(self._line_meta or self._style)
        self._line, self._line_meta = [], None

    def _take(self) -> Receipt:
        receipt, self._receipt, self.printed = self._receipt, Receipt(), False
        while receipt.lines and not receipt.lines[-1].strip():  # paper fed before the cut
            receipt.lines.pop()
            receipt.meta.pop()
        return receipt


def decode_receipts(data: bytes, chinese_mode: bool = True) -> list[Receipt]:
    """Split a whole stream into receipts at each cut (plus a trailing uncut one)."""
    decoder, builder = EscPosDecoder(chinese_mode), ReceiptBuilder()
    receipts = []
    for event in [*decoder.feed(data), *decoder.flush()]:
        done = builder.add(event)
        if done is not None:
            receipts.append(done)
    tail = builder.finish()
    return [*receipts, tail] if tail is not None else receipts


def decode_receipt(data: bytes, chinese_mode: bool = True) -> Receipt:
    """Decode a whole stream as one receipt; ``cut`` is True if any cut was seen."""
    merged = Receipt()
    for receipt in decode_receipts(data, chinese_mode):
        merged.lines += receipt.lines
        merged.meta += receipt.meta
        merged.qr += receipt.qr
        merged.barcodes += receipt.barcodes
        merged.cut = merged.cut or receipt.cut
    return merged
