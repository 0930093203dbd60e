"""Barcodes on the receipt PNG: the symbology's bars, at GS w's widths, readable.

Every symbology is read back with zxing-cpp; EAN-13, EAN-8 and UPC-A with OpenCV's barcode
reader too (it knows no other symbology: UPC-E, CODE128 and CODE39 return nothing from it);
and the bars are compared one by one with python-barcode (an independent encoder) or
decoded with the standard's tables.
"""

from __future__ import annotations

import barcode
import cv2
import numpy as np
import pytest
import zxingcpp
from barcode.charsets import code128 as c128
from barcode.charsets import ean as ean_tables

from protocols.escpos.layout import BarcodeItem
from protocols.escpos.paper import MARK, TOP
from protocols.escpos.paper_font import Glyphs
from tests.unit.escpos_paper_kit import (
    Pixels,
    bands,
    cjk_font,
    ink,
    ink_box,
    render,
    runs,
    text,
)


def bars(item: BarcodeItem, paper: int = 576) -> tuple[Pixels, list[int]]:
    """The rendering and the dot widths of bar, space, bar… across the middle of the bars."""
    px = render([item], paper)
    top, bottom, left, right = ink_box(px)
    return px, runs(ink(px)[(top + bottom) // 2, left:right])


def modules(widths: list[int], module: int) -> str:
    assert all(w % module == 0 for w in widths), widths
    return "".join(("1" if i % 2 == 0 else "0") * (w // module) for i, w in enumerate(widths))


def read_ean(px: Pixels) -> tuple[str, str]:
    """OpenCV's reading (text, type) of the barcode in ``px``, given a quiet zone."""
    top, bottom, left, right = ink_box(px)
    image = np.pad(px[top:bottom, left:right], 40, constant_values=255)
    h, w = image.shape
    corners = np.array([[[38, h - 40], [38, 40], [w - 38, 40], [w - 38, h - 40]]], np.float32)
    _, texts, types = cv2.barcode.BarcodeDetector().decodeWithType(image, corners)
    return str(texts[0]), str(types[0])


@pytest.mark.parametrize(
    ("symbology", "data", "read"),
    [
        ("EAN13", "590123412345", "5901234123457"),
        ("EAN8", "9638507", "96385074"),
        ("UPC-A", "03600029145", "0036000291452"),  # zxing reads UPC-A as its EAN-13
        ("UPC-E", "425261", "0042100005264"),  # and UPC-E expanded to it
        ("CODE39", "KFLEET-42", "KFLEET-42"),
        ("ITF", "0012345678905", "001234567890"),  # an odd last digit is dropped
        ("CODABAR", "A40156B", "A40156B"),
        ("CODE93", "kfleet: A023 $5/+%", "kfleet: A023 $5/+%"),
        ("CODE128", "kfleet 20261206", "kfleet 20261206"),
        ("CODE128", "{C\x0c\x22\x38", "123456"),
    ],
)
@pytest.mark.parametrize("module", [1, 2, 3])
def test_every_symbology_reads_back(symbology: str, data: str, read: str, module: int) -> None:
    px = render([BarcodeItem(symbology, data, height=60, module=module)], paper=2000)
    top, bottom, left, right = ink_box(px)
    image = np.pad(px[top:bottom, left:right], 30, constant_values=255)
    found = zxingcpp.read_barcodes(image)
    assert [b.text for b in found] == [read]


@pytest.mark.parametrize(
    ("symbology", "data", "read", "kind"),
    [
        ("EAN13", "590123412345", "5901234123457", "EAN_13"),
        ("JAN13", "4006381333931", "4006381333931", "EAN_13"),
        ("EAN8", "9638507", "96385074", "EAN_8"),
        ("UPC-A", "03600029145", "036000291452", "UPC_A"),
    ],
)
@pytest.mark.parametrize("module", [2, 3])
def test_ean_and_upc_read_back(
    symbology: str, data: str, read: str, kind: str, module: int
) -> None:
    px, widths = bars(BarcodeItem(symbology, data, height=80, module=module))
    assert read_ean(px) == (read, kind)
    lib = {"EAN13": "ean13", "JAN13": "ean13", "EAN8": "ean8", "UPC-A": "upca"}[symbology]
    assert modules(widths, module) == "".join(barcode.get(lib, data[: len(read) - 1]).build())


@pytest.mark.parametrize("first", "0123456789")
def test_ean13_parity_for_every_first_digit(first: str) -> None:
    data = first + "12345678901"
    _, widths = bars(BarcodeItem("EAN13", data, height=40, module=1))
    assert modules(widths, 1) == "".join(barcode.get("ean13", data).build())


def _ean_digit(pattern: str) -> tuple[str, str]:
    for kind, table in (("L", ean_tables.CODES["A"]), ("G", ean_tables.CODES["B"])):
        if pattern in table:
            return str(table.index(pattern)), kind
    raise AssertionError(f"{pattern} is no EAN digit")


@pytest.mark.parametrize(("data", "digits"), [("425261", "425261"), ("04252614", "425261")])
def test_upc_e_has_the_standards_guards_digits_and_parity(data: str, digits: str) -> None:
    _, widths = bars(BarcodeItem("UPC-E", data, height=60, module=2))
    mods = modules(widths, 2)
    assert mods.startswith("101") and mods.endswith("010101") and len(mods) == 51
    read = [_ean_digit(mods[3 + 7 * i : 10 + 7 * i]) for i in range(6)]
    assert "".join(d for d, _ in read) == digits
    # UPC-E 0-425261-4 (the standard's example; UPC-A 042100005264): check digit 4 is
    # carried by the parity pattern EOEEOO (E = even = G, O = odd = L)
    assert "".join(k for _, k in read) == "GLGGLL"


CODE128_DATA = ["Hello-128", "12345678", "A017-2026", "kfleet 20261206", "No.12345678"]


@pytest.mark.parametrize("data", CODE128_DATA)
def test_code128_matches_an_independent_encoder(data: str) -> None:
    _, widths = bars(BarcodeItem("CODE128", data, height=60, module=2))
    assert modules(widths, 2) == "".join(barcode.get("code128", data).build())


def code128_values(mods: str) -> list[int]:
    """Symbol values read from CODE128 modules (11 per symbol, 13 for the stop)."""
    assert mods.endswith(c128.STOP + "11") and (len(mods) - 13) % 11 == 0
    return [c128.CODES.index(mods[i : i + 11]) for i in range(0, len(mods) - 13, 11)]


def test_code128_switches_sets_for_the_fewest_symbols() -> None:
    _, widths = bars(BarcodeItem("CODE128", "AB12345678cd", height=60, module=2))
    values = code128_values(modules(widths, 2))
    # start B, A, B, code C, 12 34 56 78, code B, c, d, check: shorter than all in B
    assert values[:-1] == [104, 33, 34, 99, 12, 34, 56, 78, 100, 67, 68]
    assert values[-1] == (104 + sum(i * v for i, v in enumerate(values[1:-1], 1))) % 103


@pytest.mark.parametrize(
    ("data", "values"),
    [
        ("{B1234", [104, 17, 18, 19, 20]),  # the host said set B: the printer obeys
        ("{C\x0c\x22\x38", [105, 12, 34, 56]),  # set C: one byte per pair of digits
        ("{Aab{Bcd", None),  # lower case is not in set A: not printed
        ("{BNo.{C\x01\x02", [104, 46, 79, 14, 99, 1, 2]),
    ],
)
def test_code128_with_the_printers_code_set_prefixes(data: str, values: list[int] | None) -> None:
    px = render([BarcodeItem("CODE128", data, height=40, module=1)])
    if values is None:
        assert not ink(px).any()
        return
    _, widths = bars(BarcodeItem("CODE128", data, height=40, module=1))
    assert code128_values(modules(widths, 1))[:-1] == values


def test_code39_bars_and_gs_w_widths() -> None:
    _, widths = bars(BarcodeItem("CODE39", "KFLEET-42", height=60, module=2))
    assert set(widths) == {2, 5}  # GS w 2: narrow 2 dots, wide 5 (Epson's 0.282/0.706 mm)
    reference = barcode.get("code39", "KFLEET-42", options={"add_checksum": False}).build()
    lib_runs = runs(np.array([c == "1" for c in "".join(reference)]))
    assert [w == 5 for w in widths] == [w == 3 for w in lib_runs]  # same narrow/wide order


@pytest.mark.parametrize("module", [2, 3])
def test_itf_and_codabar_match_an_independent_encoder(module: int) -> None:
    wide = {2: 5, 3: 8}[module]
    for lib, symbology, data in (("itf", "ITF", "12345678"), ("codabar", "CODABAR", "A40156B")):
        _, widths = bars(BarcodeItem(symbology, data, height=60, module=module))
        ref = barcode.get(lib, data, options={"narrow": module, "wide": wide}).build()
        assert runs(np.array([c == "1" for c in "".join(ref)])) == widths, symbology


def test_bar_height_and_hri_below_centred() -> None:
    item = BarcodeItem("EAN13", "590123412345", height=70, module=2, hri="below", align="center")
    px = render([text("BEFORE"), item, text("AFTER")])
    found = bands(px)
    bars_band, hri_band = found[1], found[2]
    assert bars_band == (TOP + 30, TOP + 30 + 70)
    air = min(int(np.nonzero(Glyphs(cjk_font()).glyph(d).any(axis=1))[0][0]) for d in "0-9")
    assert 2 <= hri_band[0] - bars_band[1] - air <= 8  # the digits' cells a little under the bars
    bars_box = ink_box(px[bars_band[0] : bars_band[1]])
    hri_box = ink_box(px[hri_band[0] : hri_band[1]])
    assert abs((bars_box[2] + bars_box[3]) - (hri_box[2] + hri_box[3])) <= 4
    assert abs((bars_box[2] + bars_box[3]) / 2 - 288) <= 1


def test_hri_above_puts_the_text_first() -> None:
    px = render([BarcodeItem("CODE39", "A1", height=40, module=2, hri="above", hri_font="B")])
    (text_band, bars_band) = bands(px)
    assert text_band[1] - text_band[0] <= 17 and bars_band[1] - bars_band[0] == 40


def test_a_barcode_wider_than_the_paper_is_not_printed() -> None:
    item = BarcodeItem("CODE39", "ABCDEFGHIJKLMNOP", height=40, module=3)
    assert not ink(render([item], 384)).any()
    assert ink(render([item], 2000)).any()


def zxing_read(item: BarcodeItem) -> list[tuple[str, str]]:
    px = render([item], paper=2000)
    top, bottom, left, right = ink_box(px)
    image = np.pad(px[top:bottom, left:right], 30, constant_values=255)
    return [(b.text, b.symbology_identifier) for b in zxingcpp.read_barcodes(image)]


def test_code128_bars_follow_the_code_sets_the_host_sent() -> None:
    sent = BarcodeItem("CODE128", "123456", height=40, module=1, raw="{B123456")
    auto = BarcodeItem("CODE128", "123456", height=40, module=1)
    _, widths = bars(sent)
    assert code128_values(modules(widths, 1))[:-1] == [104, 17, 18, 19, 20, 21, 22]
    _, widths = bars(auto)
    assert code128_values(modules(widths, 1))[:-1] == [105, 12, 34, 56]
    assert zxing_read(sent) == zxing_read(auto) == [("123456", "]C0")]


def test_gs1_128_starts_with_fnc1_and_keeps_the_ais_readable() -> None:
    item = BarcodeItem("GS1-128", "(01)09501101530008(17)261231", height=50, module=2)
    assert zxing_read(item) == [("(01)09501101530008(17)261231", "]C1")]


def test_a_symbology_the_renderer_lacks_leaves_a_note() -> None:
    px = render([BarcodeItem("GS1 DataBar Omnidirectional", "0950110153000")])
    assert not ink(px).any()
    assert (px == MARK).sum() > 100


@pytest.mark.parametrize(("module", "row"), [(2, 3), (3, 2)])
def test_pdf417_reads_back_with_the_printers_module_and_row_height(module: int, row: int) -> None:
    data = "黄河路街道办事处 A023 https://gov.example/q/A023"
    item = BarcodeItem("PDF417", data, height=row, module=module, align="center")
    assert zxing_read(item) == [(data, "]L2")]
    px = render([item])
    top, bottom, left, right = ink_box(px)
    assert (bottom - top) % (row * module) == 0  # whole rows, each row x module dots tall
    assert min(runs(ink(px)[top + 1, left:right])) == module  # the narrowest bar: one module
    assert abs((left + right) / 2 - 288) <= module
