"""Text as the printer reads it: code pages, international sets, Chinese modes and code
systems, user-defined characters. Hand-built bytes, each command cited."""

from __future__ import annotations

from protocols.escpos import (
    Charset,
    ChineseMode,
    CodePage,
    Command,
    EscPosDecoder,
    Event,
    Text,
    decode_receipts,
)

ESC, FS = b"\x1b", b"\x1c"


def events(data: bytes) -> list[Event]:
    decoder = EscPosDecoder()
    return [*decoder.feed(data), *decoder.flush()]


def texts(data: bytes) -> list[str]:
    return [e.text for e in events(data) if isinstance(e, Text)]


def test_esc_t_selects_epson_code_pages_outside_chinese_mode() -> None:
    # FS . (Chinese off); ESC t 16 WPC1252, ESC t 17 PC866, ESC t 99 (unknown) -> PC437
    data = FS + b"." + ESC + b"t\x10" + "€é".encode("cp1252") + b"\n"
    data += ESC + b"t\x11" + "Дом".encode("cp866") + b"\n" + ESC + b"t\x63" + b"\x82\n"
    assert texts(data) == ["€é", "Дом", "é"]
    assert CodePage(17, "cp866") in events(data)


def test_chinese_mode_reads_gb18030_and_falls_back_per_byte() -> None:
    # power-on: Chinese mode; 2- and 4-byte GB18030; 0x82 alone is not GB18030 -> CP437 "é"
    assert texts("中文𠮷".encode("gb18030") + b"\n") == ["中文𠮷"]
    assert texts(b"caf\x82 " + "等".encode("gb18030") + b"\n") == ["café 等"]
    assert EscPosDecoder(chinese_mode=False).feed(b"\xd6\xd0\n")[0] == Text("╓╨")  # CP437


def test_esc_r_international_sets_replace_ascii() -> None:
    # ESC R 3 (UK): "#" is "£"; ESC R 15 (China): "$" is "¥"; ESC R 2 (Germany): "[" is "Ä"
    assert texts(ESC + b"R\x03#1\n" + ESC + b"R\x0f$2\n" + ESC + b"R\x02[\n") == ["£1", "¥2", "Ä"]
    assert Charset(international=15) in events(ESC + b"R\x0f")
    assert texts(ESC + b"R\x0f" + ESC + b"@$\n") == ["$"]  # ESC @: USA again


def test_fs_c_selects_the_chinese_code_system() -> None:
    # FS C 1: UTF-8; FS C 2 (ASCII "2" too): Big5; FS C 0: GB18030 again
    data = FS + b"C\x01" + "取号".encode() + b"\n" + FS + b"C2" + "臺灣".encode("big5") + b"\n"
    data += FS + b"C\x00" + "中".encode("gb18030") + b"\n"
    assert texts(data) == ["取号", "臺灣", "中"]
    assert Charset(system="utf-8") in events(FS + b"C1")


def test_fs_paren_c_fn48_selects_utf8_like_a_tm_t88vi() -> None:
    # FS ( C pL pH fn=48 m=2: UTF-8; m=1: back to one-byte / GB18030 in Chinese mode
    utf8, legacy = FS + b"(C\x02\x000\x02", FS + b"(C\x02\x000\x01"
    data = utf8 + "窗口 é".encode() + b"\n" + legacy + "窗".encode("gb18030") + b"\n"
    assert texts(data) == ["窗口 é", "窗"]


def test_fs_dot_and_fs_amp_switch_chinese_mode() -> None:
    data = FS + b"." + b"\xb0\xa1\n" + FS + b"&" + b"\xb0\xa1\n"
    assert texts(data) == ["░í", "啊"]
    assert [e for e in events(data) if isinstance(e, ChineseMode)] == [
        ChineseMode(False),
        ChineseMode(True),
    ]


def test_user_defined_characters_are_commands_of_the_right_length() -> None:
    # ESC & y=3 c1=0x41 c2=0x42: per char x then 3*x bytes; ESC % 1 selects them; ESC ? c
    define = ESC + b"&\x03AB" + b"\x02" + bytes(6) + b"\x01" + bytes(3)
    got = events(define + ESC + b"%\x01" + ESC + b"?A" + b"AB\n")
    assert got[:3] == [
        Command("ESC &", define),
        Command("ESC %", ESC + b"%\x01"),
        Command("ESC ?", ESC + b"?A"),
    ]
    assert got[3] == Text("AB")  # printed with the user glyphs on paper; the text is "AB"
    # FS 2 c1 c2 + 72 bytes: a user-defined Chinese character
    assert events(FS + b"2\xfe\xa1" + bytes(72) + b"x")[1] == Text("x")


def test_receipt_lines_keep_code_page_text() -> None:
    [receipt] = decode_receipts(FS + b"." + ESC + b"t\x10" + b"Caf\xe9\n")
    assert receipt.lines == ["Café"]
