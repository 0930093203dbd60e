"""Receipts as a customer would see them, built from decoded ESC/POS events.

A receipt is what lies between two cuts *if anything visible was printed on it*: text, an
image, a code. Paper fed after the last cut (trailing line feeds, ``ESC @``, status queries)
is not a receipt, and neither is a cut of blank paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from protocols.escpos.decoder import EscPosDecoder
from protocols.escpos.events import Align, Barcode, Cut, Event, QrCode
from protocols.escpos.layout import PAPER_80MM, CutItem, Item, transcript
from protocols.escpos.printhead import LineStart, Printhead


@dataclass(frozen=True, slots=True)
class LineMeta:
    """How a line was printed: the modes in effect for its first character."""

    align: Align = "left"
    bold: bool = False
    width: int = 1
    height: int = 1


@dataclass
class Receipt:
    """One receipt as printed.

    ``items`` is the paper (``protocols.escpos.layout``): everything in print order with its
    position. ``lines`` / ``meta`` (text lines, blank ones included, trailing blank ones
    dropped), ``qr`` and ``barcodes`` (data, in order) are views of it for simple checks."""

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
        """The paper as text, in print order (``layout.transcript``): lines, ``[QR] data``,
        ``[BARCODE CODE128] data``, ``[IMAGE wxh]`` where each printed."""
        return transcript(self.items)


def _meta(start: LineStart) -> LineMeta:
    return LineMeta(start.align, start.bold, start.width, start.height)


class ReceiptBuilder:
    """Turns events into receipts; a receipt ends at each cut (``add`` returns it)."""

    def __init__(self, paper_dots: int = PAPER_80MM) -> None:
        self.paper_dots = paper_dots
        self._head = Printhead(paper_dots)
        self._qr: list[str] = []
        self._barcodes: list[str] = []

    @property
    def printed(self) -> bool:
        """Whether anything visible was printed (or waits in the line buffer) since the last
        cut."""
        return self._head.marked or self._head.pending

    def add(self, event: Event) -> Receipt | None:
        if isinstance(event, Cut):
            if self._head.pending:
                self._head.end_line(0)
            return self._take(cut=True, partial=event.partial)
        if isinstance(event, QrCode):
            self._qr.append(event.data)
        elif isinstance(event, Barcode):
            self._barcodes.append(event.data)
        self._head.add(event)
        return None

    def finish(self) -> Receipt | None:
        """End of stream: the unfinished receipt if anything was printed since the last cut."""
        if self._head.pending:
            self._head.end_line(self._head.m.line)
        return self._take(cut=False, partial=False)

    def _take(self, cut: bool, partial: bool) -> Receipt | None:
        marked, legacy = self._head.marked, self._head.legacy
        items = self._head.take()
        qr, barcodes, self._qr, self._barcodes = self._qr, self._barcodes, [], []
        if not marked:
            return None  # blank paper: fed, maybe cut, but nothing on it
        while legacy and not legacy[-1][0].strip():  # paper fed before the cut
            legacy.pop()
        if cut:
            items.append(CutItem(partial))
        return Receipt(
            lines=[text for text, _ in legacy],
            meta=[_meta(start) for _, start in legacy],
            qr=qr,
            barcodes=barcodes,
            cut=cut,
            items=items,
            paper_dots=self.paper_dots,
        )


def decode_receipts(
    data: bytes, chinese_mode: bool = True, paper_dots: int = PAPER_80MM
) -> list[Receipt]:
    """Split a whole stream into receipts at each cut (plus a trailing uncut one)."""
    decoder, builder = EscPosDecoder(chinese_mode), ReceiptBuilder(paper_dots)
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
        merged.items += receipt.items
        merged.cut = merged.cut or receipt.cut
    return merged
