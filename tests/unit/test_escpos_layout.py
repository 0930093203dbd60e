"""Where text lands on the paper: hand-built ESC/POS streams, each command cited.

Positions are in dots (Font A cell 12 × 24, Font B 9 × 17, a Chinese cell 24 × 24; 80 mm paper
prints 576 dots). Each test builds the bytes by hand, so it checks the decoder against the
ESC/POS reference rather than against an encoder."""

from __future__ import annotations

from protocols.escpos import FeedItem, PrintLine, TextRun, decode_receipts
from protocols.escpos.layout import Item

ESC, FS, GS = b"\x1b", b"\x1c", b"\x1d"
INIT, CUT = ESC + b"@", GS + b"V\x00"


def paper(data: bytes, paper_dots: int = 576) -> list[Item]:
    [receipt] = decode_receipts(INIT + data + CUT, paper_dots=paper_dots)
    return receipt.items[:-1]  # the CutItem


def lines(data: bytes) -> list[PrintLine]:
    return [item for item in paper(data) if isinstance(item, PrintLine)]


def xs(line: PrintLine) -> list[tuple[str, int]]:
    return [(run.text, run.x) for run in line.runs]


def test_absolute_and_relative_positions() -> None:
    # ESC $ nL nH: absolute x in dots; ESC \ nL nH: signed relative move (two's complement)
    [line] = lines(b"Name" + ESC + b"$\xf0\x00" + b"Qty" + ESC + b"\\\x18\x00" + b"9\n")
    assert xs(line) == [("Name", 0), ("Qty", 240), ("9", 240 + 36 + 24)]
    [back] = lines(b"X" + ESC + b"$\x78\x00" + b"Y" + ESC + b"\\\xd0\xff" + b"Z\n")  # -48
    assert xs(back) == [("X", 0), ("Y", 120), ("Z", 84)]


def test_positions_outside_the_print_area_are_ignored() -> None:
    # ESC $ beyond the 576-dot line and ESC \ before its start: the printer ignores both
    [line] = lines(b"ab" + ESC + b"$\x00\x03" + b"c" + ESC + b"\\\x00\xff" + b"d\n")
    assert xs(line) == [("abcd", 0)]


def test_tabs_default_every_8_cells_and_esc_d_stops() -> None:
    # HT with the power-on stops (every 8 Font A cells = 96 dots)
    assert xs(lines(b"a\tb\n")[0]) == [("a", 0), ("b", 96)]
    # ESC D 10 20 NUL: stops at columns 10 and 20; an HT past the last stop is ignored
    [line] = lines(ESC + b"D\x0a\x14\x00" + b"Item\t2\t5.00\tx\n")
    assert xs(line) == [("Item", 0), ("2", 120), ("5.00x", 240)]


def test_tab_stops_scale_with_the_character_width_when_set() -> None:
    # GS ! 0x10 (double width) before ESC D 4 NUL: the stop is 4 × 24 dots
    [line] = lines(GS + b"!\x10" + ESC + b"D\x04\x00" + GS + b"!\x00" + b"a\tb\n")
    assert xs(line) == [("a", 0), ("b", 96)]


def test_long_lines_wrap_at_the_paper_width() -> None:
    # 50 Font A cells on 48-cell paper; 34 on 58 mm paper (384 dots = 32 cells)
    first, second = lines(b"A" * 50 + b"\n")
    assert (first.text, second.text) == ("A" * 48, "AA")
    narrow = [i for i in paper(b"B" * 34 + b"\n", paper_dots=384) if isinstance(i, PrintLine)]
    assert [line.text for line in narrow] == ["B" * 32, "BB"]
    # Chinese cells are 24 dots: 25 of them wrap after 24
    wide = lines("汉".encode("gb18030") * 25 + b"\n")
    assert [len(line.text) for line in wide] == [24, 1]


def test_left_margin_and_print_area_width() -> None:
    # GS L 48 (left margin), GS W 240 (print-area width): wraps at 20 cells, x includes margin
    first, second = lines(GS + b"L\x30\x00" + GS + b"W\xf0\x00" + b"C" * 22 + b"\n")
    assert xs(first) == [("C" * 20, 48)] and xs(second) == [("CC", 48)]
    # centred inside that area: (240 - 24) // 2 = 108 from the margin, placed here
    [centred] = lines(GS + b"L\x30\x00" + GS + b"W\xf0\x00" + ESC + b"a\x01" + b"CC\n")
    assert xs(centred) == [("CC", 48 + 108)] and centred.align == "left"


def test_character_spacing_moves_following_characters() -> None:
    # ESC SP 4: 4 dots right of every half-width cell (the run carries it)
    [line] = lines(ESC + b" \x04" + b"ab" + ESC + b" \x00" + b"c\n")
    assert xs(line) == [("ab", 0), ("c", 32)] and line.runs[0].spacing == 4


def test_styles_split_runs_and_carry_their_modes() -> None:
    # ESC ! 0x01 Font B; ESC E 1 bold; ESC - 2 thick underline; GS B 1 reverse; GS ! 0x11
    data = ESC + b"!\x01" + b"b" + ESC + b"!\x00" + ESC + b"E\x01" + b"B" + ESC + b"E\x00"
    data += ESC + b"-\x02" + b"u" + ESC + b"-\x00" + GS + b"B\x01" + b"r" + GS + b"B\x00"
    data += GS + b"!\x11" + b"W" + GS + b"!\x00" + ESC + b"M\x01" + b"m\n"
    [line] = lines(data)
    b, bold, under, rev, big, font_b = line.runs
    assert (b.font, b.x) == ("B", 0)
    assert bold == TextRun("B", 9, bold=True)
    assert under == TextRun("u", 21, underline=2)
    assert rev == TextRun("r", 33, reverse=True)
    assert big == TextRun("W", 45, width=2, height=2)
    assert (font_b.font, font_b.x) == ("B", 69)


def test_chinese_sizes_follow_fs_commands_and_gs_bang() -> None:
    # FS ! 0x0C: Chinese double width + height; ASCII stays normal; FS W 0 cancels
    data = FS + b"!\x0c" + "中".encode("gb18030") + b"a" + FS + b"W\x00" + "文".encode("gb18030")
    [line] = lines(data + b"\n")
    assert [(r.text, r.x, r.width, r.height) for r in line.runs] == [
        ("中", 0, 2, 2),
        ("a文", 48, 1, 1),  # same style: one run
    ]
    # GS ! sizes Chinese characters too
    [big] = lines(FS + b"W\x01" + GS + b"!\x00" + "中".encode("gb18030") + b"\n")
    assert (big.runs[0].width, big.runs[0].height) == (1, 1)


def test_alignment_is_the_one_in_force_when_the_line_started() -> None:
    # ESC a 1 before the text: centred; ESC a 2 in the middle of a line applies to the next one
    first, second = lines(ESC + b"a\x01" + b"one" + ESC + b"a\x02" + b" more\ntwo\n")
    assert (first.align, second.align) == ("center", "right")


def test_line_spacing_and_feeds() -> None:
    # ESC 3 40: 40-dot lines; LF on an empty buffer feeds; ESC J 20: 20 dots; ESC d 2: 2 lines;
    # ESC 2: back to the default 30
    items = paper(ESC + b"3\x28" + b"a\n\n" + ESC + b"J\x14" + ESC + b"d\x02" + ESC + b"2b\n")
    assert items == [
        PrintLine((TextRun("a", 0),), feed=40),
        FeedItem(40),
        FeedItem(20),
        FeedItem(40),
        FeedItem(40),
        PrintLine((TextRun("b", 0),), feed=30),
    ]


def test_esc_at_discards_the_line_buffer_and_resets_modes() -> None:
    # ESC @ mid-line: "lost" never prints; bold and ESC $ / ESC D settings are gone
    [line] = lines(ESC + b"E\x01" + ESC + b"D\x02\x00" + b"lost" + INIT + b"a\tb\n")
    assert xs(line) == [("a", 0), ("b", 96)] and not line.runs[0].bold
