"""Barcodes and 2-D codes print where they arrive, with the settings in force then.

GS k (function A m=0..6, NUL-terminated; function B m=65..79, counted), CODE128 code sets,
GS h / GS w / GS H / GS f; GS ( k QR (cn 49: fn 65 model, 67 size, 69 error correction,
80 store, 81 print) and PDF417 (cn 48)."""

from __future__ import annotations

import pytest

from protocols.escpos import (
    SYMBOLOGIES,
    Barcode,
    BarcodeItem,
    EscPosDecoder,
    QrItem,
    decode_receipts,
    transcript,
)
from protocols.escpos.codes import code128_text
from protocols.escpos.layout import Item

ESC, GS = b"\x1b", b"\x1d"
INIT, CUT = ESC + b"@", GS + b"V\x00"


def paper(data: bytes) -> list[Item]:
    [receipt] = decode_receipts(INIT + data + CUT)
    return receipt.items[:-1]


def qr(data: bytes, size: int = 3, ec: bytes = b"0") -> bytes:
    return (
        GS + b"(k\x04\x001A2\x00"  # fn 65: model 2
        + GS + b"(k\x03\x001C" + bytes([size])  # fn 67: module size
        + GS + b"(k\x03\x001E" + ec  # fn 69: error correction 48 L .. 51 H
        + GS + b"(k" + (len(data) + 3).to_bytes(2, "little") + b"1P0" + data  # fn 80: store
        + GS + b"(k\x03\x001Q0"  # fn 81: print
    )  # fmt: skip


@pytest.mark.parametrize(
    ("data", "human"),
    [
        (b"{B012345", "012345"),
        (b"{C\x0c\x22\x38", "123456"),  # code C: each byte is two digits
        (b"{A" + b"AB" + b"{C\x01\x63" + b"{BZ", "AB0199Z"),  # switching mid-symbol
        (b"{1{C\x01\x02", "0102"),  # FNC1 (GS1) is not a character
        (b"{Bab{Sxy", "abxy"),  # shift: one character from code set A (here "x" read as is)
        (b"{B{{x", "{x"),  # "{{" is a literal brace
    ],
)
def test_code128_code_sets_are_resolved(data: bytes, human: str) -> None:
    assert code128_text(data) == human


def test_every_symbology_prints_at_its_place_with_its_name() -> None:
    for system, name in SYMBOLOGIES.items():
        if system < 65:
            command = GS + b"k" + bytes([system]) + b"0123\x00"
        else:
            command = GS + b"k" + bytes([system, 4]) + b"0123"
        items = paper(b"a\n" + command + b"b\n")
        assert transcript(items) == f"a\n[BARCODE {name}] 0123\nb\n", system


def test_barcode_settings_in_force_when_it_prints() -> None:
    # GS h 80 height, GS w 2 module, GS H 2 HRI below, GS f 1 HRI font B, ESC a 1 centred
    setup = GS + b"h\x50" + GS + b"w\x02" + GS + b"H\x02" + GS + b"f\x01" + ESC + b"a\x01"
    code = GS + b"kI\x08{B012345"
    items = paper(setup + code + GS + b"h\xa2" + code)
    assert items[0] == BarcodeItem(
        "CODE128", "012345", 80, 2, "below", "B", "center", raw="{B012345"
    )  # raw: the code sets as sent decide the bars
    assert isinstance(items[1], BarcodeItem) and items[1].height == 162


def test_barcode_event_keeps_its_system_number() -> None:
    assert Barcode(73, "x").symbology == "CODE128" and Barcode(200, "x").symbology == "GS k 200"
    [event] = EscPosDecoder().feed(GS + b"kI\x04{C\x0c\x22")
    assert event == Barcode(73, "1234", "{C\x0c\x22")
    [ean] = EscPosDecoder().feed(GS + b"k\x02123\x00")
    assert ean == Barcode(2, "123")  # nothing more to say than the digits


def test_qr_prints_between_the_lines_with_its_size_and_level() -> None:
    items = paper(
        b"before\n" + ESC + b"a\x01" + qr("办事 https://x/1".encode(), 6, b"3") + b"after\n"
    )
    assert transcript(items) == "before\n[QR] 办事 https://x/1\nafter\n"
    assert items[1] == QrItem("办事 https://x/1", 6, "H", "center")


def test_qr_settings_persist_and_esc_at_resets_them() -> None:
    store_print = GS + b"(k\x04\x001P0A" + GS + b"(k\x03\x001Q0"
    first, second = (i for i in paper(qr(b"x", 8, b"1") + store_print) if isinstance(i, QrItem))
    assert (first.module, second.module, second.error_correction) == (8, 8, "M")
    [reset] = [i for i in paper(qr(b"x", 8) + INIT + store_print) if isinstance(i, QrItem)][1:]
    assert (reset.module, reset.error_correction) == (3, "L")


def test_pdf417_prints_as_a_barcode_item() -> None:
    # GS ( k cn=48: fn 67 module width 2, fn 68 row height 4, fn 80 store, fn 81 print
    pdf = GS + b"(k\x03\x000C\x02" + GS + b"(k\x03\x000D\x04"
    pdf += GS + b"(k\x08\x000P0hello" + GS + b"(k\x03\x000Q0"
    [item] = paper(pdf)
    assert item == BarcodeItem("PDF417", "hello", 4, 2)
