"""The receipt PNG: text, images, feeds and cuts where the paper would show them.

Receipts are built from items directly (``protocols.escpos.layout``), not decoded, so each
test says exactly what was printed; the ink (pixels == 0) is measured, never eyeballed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from protocols.escpos.layout import (
    PAPER_58MM,
    PAPER_80MM,
    CutItem,
    FeedItem,
    PrintLine,
    RasterImage,
    TextRun,
)
from protocols.escpos.paper import (
    EDGE,
    MARGIN,
    MARK,
    MAX_ROWS,
    PAPER,
    TOP,
    raster_bitmap,
    receipt_png,
    render_items,
)
from protocols.escpos.paper_font import Glyphs
from protocols.escpos.receipts import Receipt
from tests.unit.escpos_paper_kit import bands, cjk_font, ink, ink_box, render, text


@pytest.mark.parametrize("paper", [PAPER_80MM, PAPER_58MM])
def test_the_png_is_the_printable_width_between_the_paper_edges(paper: int) -> None:
    receipt = Receipt(items=[text("width")], paper_dots=paper)
    image = Image.open(io.BytesIO(receipt_png(receipt, font=cjk_font())))
    assert image.format == "PNG"
    px = np.array(image.convert("L"))
    assert px.shape[1] == paper + 2 * MARGIN
    row = px[2]  # blank paper above the first line
    assert (row == PAPER).sum() == paper
    assert (row[:MARGIN] == EDGE).all() and (row[-MARGIN:] == EDGE).all()
    assert len(receipt_png(receipt, font=cjk_font())) < 8000  # a small file: 2 bits/pixel
    bare = Image.open(io.BytesIO(receipt_png(receipt, font=cjk_font(), edges=False)))
    assert bare.width == paper  # the printable area alone: one pixel per dot
    assert np.array_equal(np.array(bare.convert("L")), px[:, MARGIN:-MARGIN])


@pytest.mark.parametrize("paper", [PAPER_80MM, PAPER_58MM])
def test_alignment_moves_the_whole_line(paper: int) -> None:
    left = ink_box(render([text("ABCDEF")], paper))
    centre = ink_box(render([text("ABCDEF", align="center")], paper))
    right = ink_box(render([text("ABCDEF", align="right")], paper))
    extent = 6 * 12
    assert left[2] <= 2  # the glyph's own side bearing, no more
    assert centre[2] - left[2] == (paper - extent) // 2
    assert right[2] - left[2] == paper - extent
    assert right[3] <= paper


def test_runs_print_at_their_x_and_alignment_shifts_them_together() -> None:
    line = PrintLine((TextRun("Item", 0), TextRun("9.50", 400)), align="left")
    px = render([line])
    cols = ink(px).any(axis=0)
    assert cols[:48].any() and cols[400:448].any()
    assert not cols[60:398].any()  # the gap an ESC $ left is blank paper


def test_reverse_prints_white_on_black_cells() -> None:
    px = render([text("AB", reverse=True)])
    top, bottom, left, right = ink_box(px)
    assert (bottom - top, right - left) == (24, 24)  # two 12x24 cells, solid
    cells = px[top:bottom, left:right]
    white = int((cells == PAPER).sum())
    assert 30 < white < 0.6 * cells.size  # the glyphs are the paper showing through
    plain = render([text("AB")])
    assert ((plain[top:bottom, left:right] == 0) == (cells == PAPER)).mean() > 0.97


def test_a_raster_image_prints_dot_for_dot() -> None:
    rng = np.random.default_rng(7)
    bits = rng.random((23, 37)) < 0.4
    rows = np.packbits(bits, axis=1).tobytes()
    image = RasterImage(37, 23, rows, x=5)
    px = render([image])
    assert np.array_equal(ink(px)[TOP : TOP + 23, 5 : 5 + 37], bits)
    assert int(ink(px).sum()) == int(bits.sum())
    assert np.array_equal(raster_bitmap(image), bits)


@pytest.mark.parametrize(("align", "left"), [("center", (576 - 64) // 2), ("right", 576 - 64)])
def test_a_raster_image_follows_its_alignment(align: str, left: int) -> None:
    rows = b"\xff" * 8 * 10
    px = render([RasterImage(64, 10, rows, align=align)])  # type: ignore[arg-type]
    assert ink_box(px) == (TOP, TOP + 10, left, left + 64)


def test_chinese_characters_fill_24_by_24_cells() -> None:
    px = render([text("政务中心")])
    top, bottom, left, right = ink_box(px)
    assert bottom - top > 18 and right - left > 4 * 24 - 8
    assert bottom <= TOP + 24 and right <= 4 * 24
    for cell in range(4):
        dots = ink(px)[TOP : TOP + 24, cell * 24 : cell * 24 + 24]
        assert dots.sum() > 40, f"cell {cell} printed too little"


def test_half_width_characters_stay_in_their_cells() -> None:
    for font, (w, h) in (("A", (12, 24)), ("B", (9, 17))):
        px = render([text("MWMW", font=font)])  # type: ignore[arg-type]
        for cell in range(4):
            dots = ink(px)[:, cell * w : cell * w + w]
            assert dots.any()
        top, bottom, _, right = ink_box(px)
        assert right <= 4 * w and top >= TOP and bottom <= TOP + h


def test_multipliers_enlarge_the_bitmap_dot_by_dot() -> None:
    glyph = Glyphs(cjk_font()).glyph("A")
    px = render([text("A", width=2, height=3)])
    expected = np.repeat(np.repeat(glyph, 3, axis=0), 2, axis=1)
    assert np.array_equal(ink(px)[TOP : TOP + 72, :24], expected)


def test_bold_is_a_double_strike_one_dot_to_the_right() -> None:
    glyphs = Glyphs(cjk_font())
    plain, bold = glyphs.glyph("H"), glyphs.glyph("H", bold=True)
    smear = plain.copy()
    smear[:, 1:] |= plain[:, :-1]
    assert np.array_equal(bold, smear) and bold.sum() > plain.sum()
    px = render([text("H", bold=True)])
    assert np.array_equal(ink(px)[TOP : TOP + 24, :12], bold)


@pytest.mark.parametrize("thickness", [1, 2])
def test_underline_runs_under_the_cells_spacing_included(thickness: int) -> None:
    px = render([text("ab", underline=thickness, spacing=3)])
    bottom = TOP + 24
    assert ink(px)[bottom - thickness : bottom, : 2 * 15].all()
    assert not ink(px)[bottom - thickness : bottom, 2 * 15 :].any()
    if thickness == 1:
        assert not ink(px)[bottom - 2, :30].all()


def test_reverse_wins_over_underline() -> None:
    px = render([text("ab", underline=2, reverse=True)])
    cells = px[TOP : TOP + 24, :24]
    assert (cells == PAPER).any()  # glyphs still white: no underline painted over them


def test_spacing_moves_each_next_character() -> None:
    spaced = render([PrintLine((TextRun("II", 0, spacing=6),))])
    cols = np.nonzero(ink(spaced).any(axis=0))[0]
    first, second = cols[cols < 14], cols[cols >= 14]
    assert second.min() - first.min() == 18


@pytest.mark.parametrize(("chars", "width", "advance"), [("II", 2, 30), ("中中", 1, 30)])
def test_spacing_scales_with_width_and_doubles_for_full_width(
    chars: str, width: int, advance: int
) -> None:
    px = render([PrintLine((TextRun(chars, 0, width=width, spacing=3, reverse=True),))])
    _, _, left, right = ink_box(px)  # reverse: solid cells, spacing included, side by side
    assert (left, right) == (0, 2 * advance)
    assert np.array_equal(ink(px)[:, :advance], ink(px)[:, advance : 2 * advance])


def test_lines_advance_by_their_spacing_but_never_less_than_their_height() -> None:
    cells = [text("A", reverse=True), text("A", reverse=True, feed=20, x=20)]
    cells += [text("A", height=2, reverse=True, x=40), text("A", reverse=True, x=60)]
    px = render(cells)  # reverse: each cell is solid, so its ink is the cell
    spans = [bands(px[:, x : x + 12]) for x in (0, 20, 40, 60)]
    tops = [TOP, TOP + 30, TOP + 54, TOP + 102]  # 30; 20 < 24 so 24; 48 (height 2)
    heights = [24, 24, 48, 24]
    assert spans == [[(top, top + h)] for top, h in zip(tops, heights, strict=True)]


def test_mixed_heights_stand_on_one_bottom_line() -> None:
    line = PrintLine((TextRun("A", 0, height=2, reverse=True), TextRun("x", 12, "B", reverse=True)))
    px = render([line])
    big = np.nonzero(ink(px)[:, :12].any(axis=1))[0]
    small = np.nonzero(ink(px)[:, 12:21].any(axis=1))[0]
    assert (big.min(), big.max() + 1) == (TOP, TOP + 48)
    assert (small.min(), small.max() + 1) == (TOP + 48 - 17, TOP + 48)


def test_a_feed_is_blank_paper() -> None:
    px = render([text("A"), FeedItem(100), text("B")])
    (a_top, a_end), (b_top, _) = bands(px)
    assert b_top - a_top == 30 + 100
    assert (px[a_end:b_top] == PAPER).all()


@pytest.mark.parametrize("partial", [False, True])
def test_a_cut_is_a_dashed_line_and_the_paper_ends_there(partial: bool) -> None:
    full = render_items([text("A"), FeedItem(40), CutItem(partial=partial)], 576, font=cjk_font())
    cut_row = TOP + 30 + 40
    line = full[cut_row]
    assert (line == MARK).sum() > 200  # the dashes
    middle = line[MARGIN + 288 - 10 : MARGIN + 288 + 10]
    assert (middle == MARK).any() != partial  # a partial cut leaves a bridge uncut
    assert (full[cut_row + 3 :] == EDGE).all()  # below the cut: no more paper
    assert ((full[:cut_row] == MARK).sum(axis=1) > 0).any()  # the scissors mark above it
    assert not (full == MARK)[full == 0].any()  # marks never cover ink


def test_without_a_cut_the_paper_goes_on() -> None:
    full = render_items([text("A"), FeedItem(10)], 576, font=cjk_font())
    assert (full[-4:, MARGIN:-MARGIN] == PAPER).all()
    assert not (full == MARK).any()


def test_an_empty_receipt_is_blank_paper() -> None:
    full = render_items([], 384, font=cjk_font())
    assert full.shape[1] == 384 + 2 * MARGIN
    assert not (full == 0).any()


def test_an_endless_receipt_is_cut_short_with_a_note() -> None:
    items = [text("A"), FeedItem(30_000), FeedItem(30_000), text("lost")]
    full = render_items(items, 384, font=cjk_font())
    assert full.shape[0] <= MAX_ROWS + TOP + 16 + 40
    assert (full == 0).sum() == (render([text("A")], 384) == 0).sum()  # "lost" is not drawn
    assert (full[-80:] == MARK).any()  # the note saying so


def test_a_character_the_font_lacks_prints_as_a_hollow_box() -> None:
    box = Glyphs(cjk_font()).glyph("\U0001f5ff")  # no CJK font draws the moai
    assert box.shape == (24, 24)
    assert box[2, 2:22].all() and box[2:22, 2].all() and not box[8:16, 8:16].any()


def test_without_a_cjk_font_latin_prints_and_chinese_is_boxes() -> None:
    glyphs = Glyphs(None)  # Pillow's own font
    assert glyphs.glyph("A").sum() > 20
    box = glyphs.glyph("中")
    assert box[2, 2:22].all() and not box[8:16, 8:16].any()


def test_a_font_file_that_is_no_font_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "font.ttf"
    bogus.write_bytes(b"not a font")
    with pytest.raises(ValueError, match="cannot read font"):
        render_items([text("A")], 576, font=bogus)


def test_an_item_kind_the_renderer_does_not_know_leaves_a_note() -> None:
    @dataclass(frozen=True)
    class Hologram:
        data: str

    full = render_items([Hologram("x")], 576, font=cjk_font())  # type: ignore[list-item]
    assert not (full == 0).any() and (full == MARK).any()
