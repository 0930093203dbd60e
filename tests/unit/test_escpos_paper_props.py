"""Whatever a decoder puts in ``items`` — odd sizes, data a printer refuses, text in any
script — the renderer draws a picture of the right width and never fails or inks outside
the printable area (a simulator must never lose a receipt's PNG to a strange stream)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols.escpos.layout import (
    BarcodeItem,
    CutItem,
    FeedItem,
    Item,
    PrintLine,
    QrItem,
    RasterImage,
    TextRun,
)
from protocols.escpos.paper import INK, MARGIN, render_items
from tests.unit.escpos_paper_kit import cjk_font

ALIGN = st.sampled_from(["left", "center", "right"])
TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=12
) | st.sampled_from(["政务服务", "A023", "¥12.50", "ａｂｃ", "\t", " "])

RUNS = st.builds(
    TextRun,
    text=TEXT,
    x=st.integers(-50, 700),
    font=st.sampled_from(["A", "B"]),
    width=st.integers(1, 8),
    height=st.integers(1, 8),
    bold=st.booleans(),
    underline=st.integers(0, 2),
    reverse=st.booleans(),
    spacing=st.integers(0, 30),
)
LINES = st.builds(
    PrintLine, runs=st.lists(RUNS, max_size=3).map(tuple), align=ALIGN, feed=st.integers(0, 255)
)


@st.composite
def images(draw: st.DrawFn) -> RasterImage:
    width, height = draw(st.integers(0, 700)), draw(st.integers(0, 60))
    size = draw(st.integers(0, (width + 7) // 8 * height + 4))  # short or long data
    rows = draw(st.binary(min_size=size, max_size=size))
    return RasterImage(width, height, rows, x=draw(st.integers(-20, 600)), align=draw(ALIGN))


SYMBOLOGIES = ["EAN13", "EAN8", "UPC-A", "UPC-E", "CODE39", "ITF", "CODABAR", "CODE93"]
SYMBOLOGIES += ["CODE128", "GS1-128", "PDF417", "GS k 99"]
BARCODES = st.builds(
    BarcodeItem,
    symbology=st.sampled_from(SYMBOLOGIES),
    data=st.text(st.characters(max_codepoint=0x2FFF), max_size=20)
    | st.from_regex(r"[0-9]{6,13}", fullmatch=True),
    height=st.integers(1, 255),
    module=st.integers(1, 6),
    hri=st.sampled_from(["none", "above", "below", "both"]),
    hri_font=st.sampled_from(["A", "B"]),
    align=ALIGN,
    raw=st.sampled_from(["", "{B", "{C\x01\x02", "{A{S a", "{Z"]),
)
QRS = st.builds(
    QrItem,
    data=TEXT | st.just("x" * 3000),  # more than a QR code holds
    module=st.integers(1, 16),
    error_correction=st.sampled_from(["L", "M", "Q", "H", "?"]),
    align=ALIGN,
)
ITEMS = st.one_of(
    LINES,
    images(),
    BARCODES,
    QRS,
    st.builds(FeedItem, st.integers(-5, 300)),
    st.builds(CutItem, st.booleans()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(ITEMS, max_size=8), paper=st.sampled_from([384, 576]))
def test_any_items_draw_a_picture_of_the_paper(items: list[Item], paper: int) -> None:
    pixels = render_items(items, paper, font=cjk_font())
    assert pixels.ndim == 2 and pixels.shape[1] == paper + 2 * MARGIN
    assert not (pixels[:, :MARGIN] == INK).any() and not (pixels[:, -MARGIN:] == INK).any()
