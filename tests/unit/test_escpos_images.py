"""Bit images print where they arrive, at their printed size (rows MSB first, 1 = black).

Hand-built streams for each image command of the ESC/POS reference: GS v 0 (raster, m
scaling), ESC * (column strips in the line, 8/24-dot single/double density), GS ( L and
GS 8 L (fn 112 store, fn 50 print), GS * + GS / (downloaded), FS q + FS p (NV)."""

from __future__ import annotations

import pytest
from escpos.printer import Dummy
from PIL import Image as PilImage

from protocols.escpos import (
    Command,
    EscPosDecoder,
    FeedItem,
    PrintLine,
    RasterImage,
    Unknown,
    commands,
    decode_receipts,
    transcript,
)
from protocols.escpos.layout import Item

ESC, FS, GS = b"\x1b", b"\x1c", b"\x1d"
INIT, CUT = ESC + b"@", GS + b"V\x00"
# 16 × 2: a solid top row, then one dot at each end
ROWS = bytes([0xFF, 0xFF, 0x80, 0x01])


def paper(data: bytes) -> list[Item]:
    [receipt] = decode_receipts(INIT + data + CUT)
    return receipt.items[:-1]


def images(data: bytes) -> list[RasterImage]:
    return [item for item in paper(data) if isinstance(item, RasterImage)]


def test_gs_v0_prints_between_the_lines_it_came_between() -> None:
    # GS v 0 m xL xH yL yH d: 2 bytes (16 dots) × 2 rows
    items = paper(b"above\n" + GS + b"v0\x00\x02\x00\x02\x00" + ROWS + b"below\n")
    assert transcript(items) == "above\n[IMAGE 16x2]\nbelow\n"
    assert items[1] == RasterImage(16, 2, ROWS, source="GS v 0")


def test_gs_v0_scaling_modes() -> None:
    # m=1 double width, m=2 double height, m=51 ("3") quadruple
    raster = GS + b"v0%c\x01\x00\x01\x00\x81"
    wide, tall, quad = (images(raster.replace(b"%c", bytes([m])))[0] for m in (1, 2, 51))
    assert (wide.width, wide.height, wide.rows) == (16, 1, b"\xc0\x03")
    assert (tall.width, tall.height, tall.rows) == (8, 2, b"\x81\x81")
    assert (quad.width, quad.height, quad.rows) == (16, 2, b"\xc0\x03\xc0\x03")


def test_image_takes_alignment_and_left_margin() -> None:
    # ESC a 1 then GS v 0: centred by the renderer; GS L 16: x is the margin
    [centred] = images(ESC + b"a\x01" + GS + b"v0\x00\x01\x00\x01\x00\xff")
    [margin] = images(GS + b"L\x10\x00" + GS + b"v0\x00\x01\x00\x01\x00\xff")
    assert (centred.align, margin.x) == ("center", 16)


def test_esc_star_24_dot_strip_prints_in_its_line() -> None:
    # ESC 3 24 (line spacing = strip height), ESC * 33 nL nH: 24-dot double density, 3 bytes a
    # column; column 0 all black, column 1 only its top dot
    strip = ESC + b"*\x21\x02\x00" + b"\xff\xff\xff" + b"\x80\x00\x00"
    items = paper(ESC + b"3\x18" + strip + b"\n" + ESC + b"2" + b"after\n")
    image = items[0]
    assert isinstance(image, RasterImage) and (image.width, image.height) == (2, 24)
    assert image.rows == b"\xc0" + b"\x80" * 23
    assert isinstance(items[1], PrintLine)  # no blank feed: the strip filled the line


def test_esc_star_8_dot_single_density_is_2_wide_3_tall() -> None:
    # ESC * 0: 8-dot single density; one column with its top dot -> 2 × 3 dots on the head
    [image] = images(ESC + b"*\x00\x01\x00\x80\n")
    assert (image.width, image.height) == (2, 24)
    assert image.rows[:3] == b"\xc0\xc0\xc0" and not any(image.rows[3:])


def test_esc_star_strip_shorter_than_the_line_spacing_feeds_the_rest() -> None:
    # default line spacing 30 dots; a 24-dot strip then LF: 6 blank dots follow
    items = paper(ESC + b"*\x21\x01\x00\xff\xff\xff\n")
    assert isinstance(items[0], RasterImage) and items[1] == FeedItem(6)


def test_python_escpos_column_strips_stack_without_gaps() -> None:
    printer = Dummy()
    printer.image(PilImage.new("1", (8, 48), 0), impl="bitImageColumn")  # black, 2 strips
    items = paper(bytes(printer.output))
    # two abutting 24-dot strips: one 8 × 48 picture on the paper, all black, no gap
    assert [(i.width, i.height) for i in items if isinstance(i, RasterImage)] == [(8, 48)]
    assert items[0].rows == b"\xff" * 48  # type: ignore[union-attr]
    assert not [i for i in items if isinstance(i, FeedItem)]


def test_strips_with_paper_between_stay_apart() -> None:
    # default spacing 30 > 24: 6 blank dots between the strips, so two pictures
    strip = ESC + b"*\x21\x01\x00\xff\xff\xff\n"
    assert [type(i).__name__ for i in paper(strip + strip)] == [
        "RasterImage",
        "FeedItem",
        "RasterImage",
        "FeedItem",
    ]


def test_graphics_store_then_print() -> None:
    # GS ( L fn 112 (a=48, bx=by=1, c=49, 16 × 2) stores; fn 50 prints, where it comes
    store = GS + b"(L\x0e\x00" + b"0p0\x01\x011\x10\x00\x02\x00" + ROWS
    items = paper(store + b"first\n" + GS + b"(L\x02\x0002" + b"second\n")
    assert transcript(items) == "first\n[IMAGE 16x2]\nsecond\n"
    # GS 8 L p1..p4: the same with a 4-byte length; bx=2 doubles the width
    long_store = GS + b"8L\x0e\x00\x00\x00" + b"0p0\x02\x011\x10\x00\x02\x00" + ROWS
    [wide] = images(long_store + GS + b"8L\x02\x00\x00\x0002")
    assert (wide.width, wide.height, wide.source) == (32, 2, "GS 8 L")


def test_downloaded_and_nv_images() -> None:
    # GS * x=1 y=1: 8 columns of 1 byte; GS / 0 prints it. Column 0 = 0x80: the top-left dot
    [down] = images(GS + b"*\x01\x01" + b"\x80" + b"\x00" * 7 + GS + b"/\x00")
    assert (down.width, down.height, down.rows[0]) == (8, 8, 0x80)
    # FS q 1 image (xL xH yL yH = 1 0 1 0: 8 × 8); FS p 1 3 prints it quadruple
    nv = FS + b"q\x01\x01\x00\x01\x00" + b"\x80" + b"\x00" * 7
    [big] = images(nv + FS + b"p\x01\x03")
    assert (big.width, big.height, big.rows[:4]) == (16, 16, b"\xc0\x00\xc0\x00")


def test_images_never_stored_are_explicit_unknowns() -> None:
    decoder = EscPosDecoder()
    assert decoder.feed(FS + b"p\x01\x00") == [Unknown(FS + b"p\x01\x00")]  # no FS q yet
    assert decoder.feed(GS + b"(L\x02\x0002") == [Unknown(GS + b"(L\x02\x0002")]
    assert decoder.feed(GS + b"/\x00") == [Unknown(GS + b"/\x00")]
    assert decoder.feed(GS + b"*\x01\x01" + bytes(8)) == [
        Command("GS *", GS + b"*\x01\x01" + bytes(8))
    ]


def test_nv_and_download_graphics_by_key() -> None:
    # GS ( L fn 83: define download graphics "A1" (a=48, b=1 colour, 16 × 2, c=49); fn 85
    # prints it at x=2 (double width), y=1. fn 67 / fn 69: the same in NV memory, key "G1".
    define = GS + b"(L\x0f\x00" + b"0S0A1\x01\x10\x00\x02\x001" + ROWS
    items = paper(define + b"text\n" + GS + b"(L\x06\x000UA1\x02\x01")
    assert transcript(items) == "text\n[IMAGE 32x2]\n"
    nv = GS + b"(L\x0f\x00" + b"0C0G1\x01\x10\x00\x02\x001" + ROWS
    [image] = images(nv + GS + b"(L\x06\x000EG1\x01\x01")
    assert (image.width, image.rows) == (16, ROWS)
    decoder = EscPosDecoder()
    never = GS + b"(L\x06\x000EZZ\x01\x01"  # a key never defined: an explicit Unknown
    assert decoder.feed(never) == [Unknown(never)]


def test_keyed_graphics_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # defining more than the store holds drops the oldest key, as a full printer memory would
    monkeypatch.setattr(commands, "STORE_LIMIT", 8)
    head = GS + b"(L\x0f\x00" + b"0S0A"  # fn 83, key "A1" / "A2" / "A3", 4 bytes each
    define = [head + key + b"\x01\x10\x00\x02\x001" + ROWS for key in (b"1", b"2", b"3")]
    decoder = EscPosDecoder()
    decoder.feed(b"".join(define))
    assert sorted(decoder.modes.keyed) == [("download", 65, 50), ("download", 65, 51)]
