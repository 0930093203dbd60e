"""A receipt is paper with something on it, in print order, ended by a cut."""

from __future__ import annotations

from escpos.printer import Dummy

from protocols.escpos import CutItem, FeedItem, PrintLine, QrItem, decode_receipt, decode_receipts

ESC, GS = b"\x1b", b"\x1d"
CUT, PARTIAL = GS + b"V\x00", GS + b"V\x01"


def test_trailing_feeds_status_and_init_after_a_cut_are_not_a_receipt() -> None:
    # LF, ESC d 3, ESC J 40, ESC @, DLE EOT 1, GS r 1 after the cut: blank paper, no receipt
    tail = b"\n\n" + ESC + b"d\x03" + ESC + b"J\x28" + ESC + b"@" + b"\x10\x04\x01" + GS + b"r\x01"
    [receipt] = decode_receipts(b"only\n" + CUT + tail)
    assert receipt.lines == ["only"] and receipt.cut


def test_a_cut_of_blank_paper_is_not_a_receipt() -> None:
    # two cuts in a row, spaces only, and feeds then a cut: nothing was printed
    assert decode_receipts(b"one\n" + CUT + CUT + b"   \n" + PARTIAL + b"\n\n" + CUT) == [
        decode_receipts(b"one\n" + CUT)[0]
    ]


def test_feeds_before_the_first_mark_stay_on_the_paper() -> None:
    [_, second] = decode_receipts(b"a\n" + CUT + b"\n" + b"b\n" + PARTIAL)
    assert second.items == [
        FeedItem(30),
        PrintLine(second.items[1].runs),  # type: ignore[union-attr]
        CutItem(partial=True),
    ]
    assert second.lines == ["", "b"]


def test_codes_print_in_order_and_render_shows_it() -> None:
    printer = Dummy()
    printer.text("before\n")
    printer.qr("https://kf.example/q/A1", native=True, size=4)
    printer.text("after\n")
    printer.cut()
    [receipt] = decode_receipts(bytes(printer.output))
    assert receipt.render() == "before\n[QR] https://kf.example/q/A1\nafter\n"
    assert [type(i).__name__ for i in receipt.items] == [
        "PrintLine",
        "QrItem",
        "PrintLine",
        *["FeedItem"] * 6,  # python-escpos feeds 6 lines before the cut
        "CutItem",
    ]
    assert isinstance(receipt.items[1], QrItem) and receipt.items[1].module == 4
    assert receipt.qr == ["https://kf.example/q/A1"]


def test_text_views_keep_columns() -> None:
    # ESC $ 240: the text view pads the gap with spaces, so columns line up
    [receipt] = decode_receipts(b"Name" + ESC + b"$\xf0\x00" + b"Qty\n")
    assert receipt.lines == ["Name" + " " * 16 + "Qty"]
    assert receipt.text == receipt.render().rstrip("\n")


def test_decode_receipt_merges_items_of_every_receipt() -> None:
    merged = decode_receipt(b"a\n" + CUT + b"b\n" + CUT)
    assert merged.lines == ["a", "b"]
    assert [i for i in merged.items if isinstance(i, CutItem)] == [CutItem(False)] * 2
    assert merged.render() == "a\nb\n"


def test_paper_width_is_the_receipts() -> None:
    [narrow] = decode_receipts(b"x" * 40 + b"\n", paper_dots=384)
    assert narrow.paper_dots == 384 and narrow.lines == ["x" * 32, "x" * 8]
