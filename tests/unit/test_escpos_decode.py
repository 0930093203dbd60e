"""ESC/POS decoder: real python-escpos output in, text / QR / cut / status queries out."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from escpos.printer import Dummy
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from protocols.escpos import (
    MAX_DATA,
    Barcode,
    ChineseMode,
    CodePage,
    Command,
    Cut,
    EscPosDecoder,
    Event,
    Feed,
    Init,
    LineMeta,
    QrCode,
    StatusQuery,
    Style,
    Text,
    Unknown,
    decode_receipt,
    decode_receipts,
)
from protocols.escpos import Image as EscImage

TITLE = "黄河路街道办事处"
TITLE_GB = b"\xbb\xc6\xba\xd3\xc2\xb7\xbd\xd6\xb5\xc0\xb0\xec\xca\xc2\xb4\xa6"
SET_BIG = b"\x1b!\x00\x1b!\x00\x1b!0\x1bE\x01\x1ba\x01"
QR = (
    b"\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x06\x1d(k\x03\x001E0"
    b"\x1d(k\x0c\x001P0https://x\x1d(k\x03\x001Q0"
)
CUT = b"\x1bd\x06\x1dV\x00"
LN2 = b"\x1bt\x00\n\n"
DEFAULTS = (
    b"\x1b!\x00\x1b!\x00\x1b!\x00\x1b{\x00\x1db\x00\x1bE\x00\x1b-\x00\x1bM\x00\x1ba\x00\x1dB\x00"
)


def dummy(*calls: Callable[[Dummy], object]) -> bytes:
    printer = Dummy()
    for call in calls:
        call(printer)
    return bytes(printer.output)


def events(data: bytes) -> list[Event]:
    decoder = EscPosDecoder()
    return [*decoder.feed(data), *decoder.flush()]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda p: p.text(TITLE + "\n"), TITLE_GB + b"\n"),
        (
            lambda p: p.set(align="center", bold=True, double_height=True, double_width=True),
            SET_BIG,
        ),
        (lambda p: p.qr("https://x", native=True, size=6), QR),
        (lambda p: p.cut(), CUT),
        (lambda p: p.ln(2), LN2),
        (lambda p: p.set_with_default(), DEFAULTS),
        (lambda p: p._raw(b"\x1b@"), b"\x1b@"),
    ],
)
def test_python_escpos_bytes_are_pinned(call: Callable[[Dummy], object], expected: bytes) -> None:
    """The literals below are what python-escpos 3.1 sends; a new version must not drift."""
    assert dummy(call) == expected


def test_each_python_escpos_call_decodes() -> None:
    assert events(TITLE_GB + b"\n") == [Text(TITLE), Feed(1)]
    assert events(SET_BIG) == [
        Style(font="A", bold=False, underline=0, width=1, height=1),
        Style(font="A", bold=False, underline=0, width=1, height=1),
        Style(font="A", bold=False, underline=0, width=2, height=2),
        Style(bold=True),
        Style(align="center"),
    ]
    assert events(QR)[-1] == QrCode("https://x", size=6, error_correction="L")
    assert all(isinstance(e, Command) and e.name == "GS ( k" for e in events(QR)[:-1])
    assert events(CUT) == [Feed(6), Cut(partial=False)]
    assert events(LN2) == [CodePage(0, "cp437"), Feed(1), Feed(1)]
    assert events(b"\x1b@") == [Init()]
    assert [e for e in events(DEFAULTS) if isinstance(e, Command)] == [
        Command("ESC {", b"\x1b{\x00"),
        Command("GS b", b"\x1db\x00"),
    ]
    assert Style(font="A") in events(DEFAULTS) and Style(reverse=False) in events(DEFAULTS)


def queue_ticket() -> bytes:
    return b"\x1b@" + dummy(
        lambda p: p.set(align="center", bold=True, double_height=True, double_width=True),
        lambda p: p.text(TITLE + "\n"),
        lambda p: p.set(custom_size=True, width=4, height=4),
        lambda p: p.text("A023\n"),
        lambda p: p.set_with_default(),
        lambda p: p.text("前面还有 3 人 / 3 waiting\n"),
        lambda p: p.qr("https://gov.example/q/A023", native=True, size=6),
        lambda p: p.ln(2),
        lambda p: p.cut(),
    )


def test_queue_ticket_receipt() -> None:
    receipt = decode_receipt(queue_ticket())
    assert receipt.lines == [TITLE, "A023", "前面还有 3 人 / 3 waiting"]
    assert receipt.meta == [
        LineMeta(align="center", bold=True, width=2, height=2),
        LineMeta(align="center", bold=True, width=4, height=4),
        LineMeta(),
    ]
    assert receipt.qr == ["https://gov.example/q/A023"]
    assert receipt.cut
    assert receipt.text == f"{TITLE}\nA023\n前面还有 3 人 / 3 waiting"
    assert receipt.render().endswith("3 waiting\n[QR] https://gov.example/q/A023\n")


def test_byte_by_byte_feed_gives_the_same_events() -> None:
    data = queue_ticket()
    decoder = EscPosDecoder()
    split = [e for i in range(len(data)) for e in decoder.feed(data[i : i + 1])]
    assert [*split, *decoder.flush()] == events(data)


def test_text_waits_for_its_terminator_and_commands_wait_for_their_arguments() -> None:
    decoder = EscPosDecoder()
    assert decoder.feed(TITLE_GB[:3]) == []  # half a GB18030 character
    assert decoder.feed(TITLE_GB[3:] + b"\x1d") == [Text(TITLE)]
    assert decoder.feed(b"(k\x0c\x00") == []
    assert decoder.feed(b"1P0https://x\x1d(k\x03\x001Q") == [
        Command("GS ( k", b"\x1d(k\x0c\x001P0https://x")
    ]
    assert decoder.feed(b"0\x10") == [QrCode("https://x", 3, "L")]
    assert decoder.feed(b"\x04") == []
    assert decoder.feed(b"\x04") == [StatusQuery(4)]
    assert decoder.flush() == []


def test_chinese_mode_code_pages_and_fallback() -> None:
    assert events(dummy(lambda p: p.text("café 等候\n")))[-2] == Text("café 等候")
    assert events("黄€".encode("gb18030"))[0] == Text("黄€")
    cyrillic = dummy(lambda p: p.text("Привет\n"))
    assert cyrillic.startswith(b"\x1bt\x11")  # CP866, which Chinese mode would read as GB18030
    assert events(b"\x1c." + cyrillic)[:3] == [
        ChineseMode(False),
        CodePage(17, "cp866"),
        Text("Привет"),
    ]
    assert events(b"\x1c.\x1c&" + TITLE_GB)[-1] == Text(TITLE)
    assert events(b"\x1c.\x1b@" + TITLE_GB)[-1] == Text(TITLE)  # ESC @: power-on mode
    assert EscPosDecoder(chinese_mode=False).feed(b"caf\x82\n")[0] == Text("café")


@pytest.mark.parametrize(
    ("data", "partial"),
    [
        (b"\x1dV\x00", False),
        (b"\x1dV0", False),
        (b"\x1dV\x01", True),
        (b"\x1dV1", True),
        (b"\x1dVA\x10", False),
        (b"\x1dVB\x00", True),
        (b"\x1dVa\x05", False),
        (b"\x1dVb\x05", True),
        (b"\x1dVg\x05", False),
        (b"\x1dVh\x05", True),
        (b"\x1bi", True),
        (b"\x1bm", True),
    ],
)
def test_cut_variants(data: bytes, partial: bool) -> None:
    assert events(data + b"next") == [Cut(partial), Text("next")]


def test_python_escpos_cut_variants() -> None:
    assert events(dummy(lambda p: p.cut(mode="PART")))[-1] == Cut(partial=True)
    assert events(dummy(lambda p: p.cut(feed=False))) == [Cut(partial=True)]


def test_status_queries_and_sizes() -> None:
    assert events(b"\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04") == [
        StatusQuery(n) for n in (1, 2, 3, 4)
    ]
    # GS ! n sizes every character, Chinese ones too (wide_* 0 = follow width / height)
    assert events(b"\x1d!\x33\x1d!\x00") == [
        Style(width=4, height=4, wide_width=0, wide_height=0),
        Style(width=1, height=1, wide_width=0, wide_height=0),
    ]


def test_qr_with_utf8_data_and_barcode() -> None:
    qr = events(dummy(lambda p: p.qr("办事 https://x/办", native=True)))
    assert qr[-1] == QrCode("办事 https://x/办", 3, "L")
    barcode = events(dummy(lambda p: p.barcode("123456789012", "EAN13")))
    assert Barcode(2, "123456789012") in barcode


def test_raster_image_data_is_not_text() -> None:
    img = Image.new("1", (16, 8), 1)
    data = dummy(lambda p: p.image(img, impl="bitImageRaster"))
    assert not [e for e in events(data) if isinstance(e, Text | Unknown)]
    [image] = [e for e in events(data) if isinstance(e, EscImage)]
    assert (image.width, image.height, image.source) == (16, 8, "GS v 0")
    assert image.rows == bytes(16)  # a white PIL image: no black dot


def test_garbage_becomes_unknown() -> None:
    assert events(b"\x00\x1b\xff\x1b\x1b@\x1dV\x07ok") == [
        Unknown(b"\x00"),
        Unknown(b"\x1b\xff"),
        Unknown(b"\x1b"),
        Init(),
        Unknown(b"\x1dV\x07"),
        Text("ok"),
    ]
    huge = b"\x1d8L" + (MAX_DATA + 1).to_bytes(4, "little")
    assert events(huge)[0] == Unknown(b"\x1d8")
    assert events(b"abc\x1d(k\x40\x00") == [Text("abc"), Unknown(b"\x1d(k\x40\x00")]
    assert events(b"\x1dk\x02" + b"1" * 300)[0] == Unknown(b"\x1dk")  # no NUL within 255


def test_receipt_lines_and_splitting() -> None:
    data = b"half\x1b@" + b"one\n\nend\n" + b"\x1bd\x03" + CUT + b"two\x1bJ\x10" + b"\x1d8"
    first, second = decode_receipts(data)
    assert first.lines == ["one", "", "end"]  # ESC @ dropped "half"; feed before cut trimmed
    assert first.cut and not second.cut
    assert second.lines == ["two"]
    assert decode_receipts(b"\x1b@\x10\x04\x01") == []  # nothing printed: no receipt
    assert decode_receipt(data + CUT + b"three").lines == ["one", "", "end", "two", "three"]


FRAGMENTS = [
    TITLE_GB,
    SET_BIG,
    QR,
    CUT,
    LN2,
    DEFAULTS,
    b"\x1b@",
    b"\x10\x04\x01",
    b"\x1c.",
    b"\x1c&",
    b"\x1dk\x02123\x00",
    b"\x1dv0\x00\x01\x00\x02\x00\xff\x10",
    b"caf\x82",
]
streams = st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=40), max_size=20).map(b"".join)


@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data: bytes) -> None:
    decode_receipts(data)
    assert all(isinstance(e, Event) for e in events(data))


@given(streams, st.lists(st.integers(min_value=0, max_value=2000), max_size=12))
def test_random_chunking_yields_identical_events(data: bytes, cuts: list[int]) -> None:
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    decoder = EscPosDecoder()
    chunked = [e for a, b in itertools.pairwise(bounds) for e in decoder.feed(data[a:b])]
    assert [*chunked, *decoder.flush()] == events(data)
