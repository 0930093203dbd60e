"""The decoder is chunk-independent, never raises, and holds bounded memory.

Any split of a stream — inside a 4-byte GB18030 character, inside a command's parameters or
its image data — yields the same events and the same receipts as the whole stream."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from protocols.escpos import (
    MAX_DATA,
    EscPosDecoder,
    Event,
    Feed,
    Receipt,
    ReceiptBuilder,
    Text,
    Unknown,
)

ESC, FS, GS = b"\x1b", b"\x1c", b"\x1d"
FRAGMENTS = [
    "办事𠮷 取号".encode("gb18030"),  # 2- and 4-byte characters
    b"Name" + ESC + b"$\xf0\x00" + b"Qty" + ESC + b"\\\xe8\xff" + b"x\n",  # ESC $, ESC \ -24
    ESC + b"D\x04\x0a\x00" + b"a\tb\n",  # ESC D, HT
    GS + b"v0\x01\x02\x00\x02\x00\xff\x00\x81\x18",  # GS v 0 double width
    ESC + b"*\x21\x02\x00" + bytes(range(6)) + b"\n",  # ESC * 24-dot
    GS + b"(L\x0b\x00" + b"0p0\x01\x011\x08\x00\x01\x00\xaa" + GS + b"(L\x02\x0002",
    FS + b"q\x01\x01\x00\x01\x00" + bytes(range(8)) + FS + b"p\x01\x00",
    ESC + b"&\x03AA\x02" + bytes(6) + ESC + b"%\x01",
    GS + b"kI\x06{C\x0c\x22" + b"\x01\x02" + GS + b"k\x04AB\x00",
    GS + b"(k\x03\x001C\x05" + GS + b"(k\x06\x001P0abc" + GS + b"(k\x03\x001Q0",
    FS + b"C\x01" + "窗口".encode() + FS + b"C\x00",
    FS + b"(C\x02\x000\x02" + "é".encode() + FS + b"(C\x02\x000\x01",
    GS + b"!\x11" + ESC + b"!\x01" + FS + b"!\x0c" + GS + b"B\x01" + ESC + b"a\x01",
    GS + b"L\x10\x00" + GS + b"W\x00\x01" + ESC + b"3\x28" + ESC + b" \x02",
    b"\x10\x04\x01" + GS + b"r\x01" + GS + b"a\x0f" + GS + b"IC" + b"\x10\x14\x01\x00\x02",
    b"\n\n" + ESC + b"J\x10" + ESC + b"d\x02",
    GS + b"V\x00",
    GS + b"VB\x05",
    ESC + b"@",
    b"caf\x82",
]
streams = st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=40), max_size=24).map(b"".join)


def events(data: bytes) -> list[Event]:
    decoder = EscPosDecoder()
    return [*decoder.feed(data), *decoder.flush()]


def receipts(chunks: list[bytes]) -> list[Receipt]:
    decoder, builder = EscPosDecoder(), ReceiptBuilder()
    out = []
    for event in [e for chunk in chunks for e in decoder.feed(chunk)] + decoder.flush():
        done = builder.add(event)
        if done is not None:
            out.append(done)
    tail = builder.finish()
    return out + ([tail] if tail is not None else [])


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@given(streams, st.lists(st.integers(min_value=0, max_value=4000), max_size=16))
def test_any_split_gives_the_same_events_and_receipts(data: bytes, cuts: list[int]) -> None:
    chunks = split(data, cuts)
    decoder = EscPosDecoder()
    chunked = [e for chunk in chunks for e in decoder.feed(chunk)]
    assert [*chunked, *decoder.flush()] == events(data)
    assert receipts(chunks) == receipts([data])


@given(streams)
def test_byte_by_byte_is_the_same_too(data: bytes) -> None:
    assert receipts([data[i : i + 1] for i in range(len(data))]) == receipts([data])


@given(st.binary(max_size=3000))
def test_garbage_never_raises(data: bytes) -> None:
    assert all(isinstance(e, Event) for e in events(data))
    receipts([data])


def test_oversized_declarations_are_garbage_not_buffered() -> None:
    # GS v 0 declaring 65535 × 65535 bytes, GS 8 L declaring 2^31: both far above MAX_DATA
    got = events(GS + b"v0\x00\xff\xff\xff\xff\nok\n")
    assert got[0] == Unknown(GS + b"v") and got[-2:] == [Text("ok"), Feed(1)]  # decoding goes on
    assert events(GS + b"8L\x00\x00\x00\x80")[0] == Unknown(GS + b"8")
    # a declared size within MAX_DATA is held, and only that much
    pending = EscPosDecoder()
    assert pending.feed(GS + b"(L\xff\xff") == []
    assert len(pending._buf) < MAX_DATA
