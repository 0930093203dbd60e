"""GA 467 ID-card reader frames, the text block, masking and the ID-number checksum."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from protocols.idcard import (
    LONG_TERM,
    NATIONS,
    PREAMBLE,
    Direction,
    Frame,
    FrameDecoder,
    FrameError,
    IdCardText,
    Request,
    Response,
    TextBlockError,
    build_read_data,
    build_text_block,
    encode_request,
    encode_response,
    id_check_digit,
    is_valid_id_number,
    mask_id_number,
    parse_text_block,
    split_read_data,
)
from simulators.idcard_reader import SAMPLE_CARDS

CARD = SAMPLE_CARDS[0]
FIND_OK = encode_response(0, 0, 0x9F, bytes(4))


def decode_all(stream: bytes, direction: Direction = "to_host") -> list[Frame | FrameError]:
    decoder = FrameDecoder(direction)
    return [*decoder.feed(stream), *decoder.finish()]


def error(item: Frame | FrameError) -> FrameError:
    assert isinstance(item, FrameError), item
    return item


def reasons(items: Sequence[Frame | FrameError]) -> list[str]:
    return [i.reason if isinstance(i, FrameError) else type(i).__name__ for i in items]


# --- frames -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cmd", "para", "wire"),
    [
        (0x11, 0xFF, "AAAAAA9669 0003 11FF ED"),  # SAM status
        (0x20, 0x01, "AAAAAA9669 0003 2001 22"),  # find card
        (0x20, 0x02, "AAAAAA9669 0003 2002 21"),  # select card
        (0x30, 0x01, "AAAAAA9669 0003 3001 32"),  # read text + photo
    ],
)
def test_request_bytes_match_ga467(cmd: int, para: int, wire: str) -> None:
    frame = encode_request(cmd, para)
    assert frame == bytes.fromhex(wire)
    assert decode_all(frame, "to_reader") == [Request(cmd, para)]


def test_response_bytes_and_round_trip() -> None:
    assert bytes.fromhex("AAAAAA9669 0008 00009F 00000000 97") == FIND_OK
    assert decode_all(FIND_OK) == [Response(0, 0, 0x9F, bytes(4))]
    data = build_read_data(build_text_block(CARD), bytes(range(256)) * 4)
    frame = encode_response(0, 0, 0x90, data)
    assert frame[5:7] == b"\x05\x08"  # Len 1288 = SW(3) + 4 + 256 + 1024 + CHK
    (reply,) = decode_all(frame)
    assert isinstance(reply, Response) and reply.status is not None and reply.encode() == frame
    text, photo = split_read_data(reply.data)
    assert parse_text_block(text) == CARD and photo == bytes(range(256)) * 4
    assert repr(reply) == "Response(sw=0x000090, data=<1284 B>)"


def test_encode_refuses_out_of_range() -> None:
    with pytest.raises(ValueError, match="range"):
        encode_request(0x100, 0)
    with pytest.raises(ValueError, match="too long"):
        encode_response(0, 0, 0x90, bytes(0x0A00))


@pytest.mark.parametrize("pos", range(5, len(FIND_OK)))
@pytest.mark.parametrize("bit", [0, 3, 7])
def test_every_corrupted_byte_is_rejected(pos: int, bit: int) -> None:
    bad = bytearray(FIND_OK)
    bad[pos] ^= 1 << bit
    items = decode_all(bytes(bad))
    assert not any(isinstance(i, Response) for i in items)
    if pos >= 7:  # body or CHK: exactly one checksum error, and the next frame is found
        assert reasons(items) == ["bad_checksum"]
        assert reasons(decode_all(bytes(bad) + FIND_OK)) == ["bad_checksum", "Response"]
    else:  # the length field: impossible, or longer (waits, then truncated)
        assert reasons(items) in (["bad_length", "garbage"], ["truncated"])


@pytest.mark.parametrize("cut", range(1, len(FIND_OK)))
def test_every_truncation(cut: int) -> None:
    decoder = FrameDecoder()
    assert decoder.feed(FIND_OK[:cut]) == []
    assert decoder.in_frame == (cut >= len(PREAMBLE))
    tail = decoder.finish()
    if cut >= len(PREAMBLE):
        assert reasons(tail) == ["truncated"] and tail[0].offset == 0
    else:  # a partial preamble is just garbage
        assert reasons(tail) == ["garbage"] and f"{cut} bytes" in tail[0].message
    assert decoder.pending == 0


def test_truncated_frame_then_good_frame_recovers() -> None:
    long = encode_response(0, 0, 0x90, bytes(range(1, 101)))
    items = decode_all(long[:40] + FIND_OK + long)
    assert reasons(items) == ["bad_checksum", "Response", "Response"]
    assert items[1] == Response(0, 0, 0x9F, bytes(4))


@pytest.mark.parametrize("length", [0, 1, 3, 0x0A01, 0xFFFF])
def test_impossible_lengths(length: int) -> None:
    bad = PREAMBLE + length.to_bytes(2, "big") + b"\x00\x00\x90"
    items = decode_all(bad + FIND_OK)
    assert reasons(items) == ["bad_length", "garbage", "Response"]
    assert f"has Len {length}" in error(items[0]).message
    assert error(decode_all(PREAMBLE + b"\x00\x02", "to_reader")[0]).reason == "bad_length"


def test_resync_after_garbage() -> None:
    junk = b"\x00\xff\xaa\xaa" + b"\xaa\xaa\xaa\x96" + b"hello"  # partial preambles inside
    items = decode_all(junk + FIND_OK + b"\x13" + FIND_OK + b"\xaa")
    assert reasons(items) == ["garbage", "Response", "garbage", "Response", "garbage"]
    assert [i.offset for i in items if isinstance(i, FrameError)] == [
        0,
        len(junk) + len(FIND_OK),
        len(junk) + 2 * len(FIND_OK) + 1,
    ]
    assert f"{len(junk)} bytes" in error(items[0]).message


def test_preamble_inside_preamble_run() -> None:
    items = decode_all(b"\xaa\xaa\xaa\xaa\xaa" + FIND_OK)
    assert reasons(items) == ["garbage", "Response"]


def test_split_feeds_byte_by_byte() -> None:
    decoder = FrameDecoder()
    out = []
    for b in FIND_OK * 3:
        out += decoder.feed(bytes([b]))
    assert out == [Response(0, 0, 0x9F, bytes(4))] * 3
    assert decoder.finish() == []


# --- property: any bytes, any chunking ----------------------------------------------------

responses = st.builds(
    lambda sw3, data: encode_response(0, 0, sw3, data),
    st.integers(0, 255),
    st.binary(max_size=40),
)
pieces = st.one_of(
    responses,
    st.binary(max_size=12),
    st.just(PREAMBLE),
    st.sampled_from([b"\x00\x04", b"\x00\x08", b"\xff\xff", b"\xaa\xaa"]),
)


def chunked(stream: bytes, cuts: list[int]) -> list[Frame | FrameError]:
    decoder, out = FrameDecoder(), list[Frame | FrameError]()
    points = sorted({c % (len(stream) + 1) for c in cuts})
    for a, b in zip([0, *points], [*points, len(stream)], strict=True):
        out += decoder.feed(stream[a:b])
    return [*out, *decoder.finish()]


@given(st.lists(pieces, max_size=12).map(b"".join), st.lists(st.integers(0, 10_000)))
def test_any_stream_any_chunking_same_result(stream: bytes, cuts: list[int]) -> None:
    assert chunked(stream, cuts) == decode_all(stream)


@given(
    st.lists(
        st.tuples(responses, st.binary(max_size=10).map(lambda b: b.replace(b"\xaa", b"")))
    ).map(lambda pairs: (b"".join(f + g for f, g in pairs), [f for f, _ in pairs])),
    st.lists(st.integers(0, 10_000)),
)
def test_every_frame_found_between_garbage(
    case: tuple[bytes, list[bytes]], cuts: list[int]
) -> None:
    stream, frames = case
    found = [i for i in chunked(stream, cuts) if isinstance(i, Response)]
    assert [f.encode() for f in found] == frames


# --- the text block -----------------------------------------------------------------------


@pytest.mark.parametrize("card", SAMPLE_CARDS, ids=["valid-date", "long-term", "check-X"])
def test_text_block_round_trip(card: IdCardText) -> None:
    block = build_text_block(card)
    assert len(block) == 256
    assert parse_text_block(block) == card


def test_text_block_layout_and_long_term() -> None:
    card = SAMPLE_CARDS[1]
    block = build_text_block(card)
    assert block[:30] == "马秀兰".ljust(15).encode("utf-16-le")
    assert block[30:32] == "2".encode("utf-16-le")  # 女
    assert block[32:36] == "03".encode("utf-16-le")  # 回
    assert block[36:52] == "19651103".encode("utf-16-le")
    assert block[122:158] == card.id_number.encode("utf-16-le")
    assert block[204:220] == "长期      ".encode("utf-16-le")
    assert block[220:] == b" \x00" * 18
    assert parse_text_block(block).valid_until == LONG_TERM


cjk = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1)


@given(
    name=cjk.filter(lambda s: len(s) <= 15),
    address=cjk.filter(lambda s: len(s) <= 35),
    sex=st.sampled_from(["男", "女", "未知", "未说明"]),
    nation=st.sampled_from(sorted(NATIONS.values())),
    born=st.dates(date(1900, 1, 1), date(2099, 12, 31)),
    until=st.one_of(st.just("长期"), st.dates()),
)
def test_text_block_round_trip_property(
    name: str, address: str, sex: str, nation: str, born: date, until: date | str
) -> None:
    fields = {"name": name, "address": address, "sex": sex, "nation": nation}
    card = IdCardText.model_validate(
        CARD.model_dump() | fields | {"birth_date": born, "valid_until": until}
    )
    assert parse_text_block(build_text_block(card)) == card


def _patched(at: int, text: str) -> bytes:
    block = bytearray(build_text_block(CARD))
    raw = text.encode("utf-16-le")
    block[at : at + len(raw)] = raw
    return bytes(block)


@pytest.mark.parametrize(
    ("block", "reason"),
    [
        (b"\x20\x00" * 127, "bad_length"),
        (_patched(32, "99"), "bad_code"),
        (_patched(30, "5"), "bad_code"),
        (_patched(36, "19881341"), "bad_date"),
        (_patched(188, "2019031X"), "bad_date"),
        (_patched(248, "I"), "unsupported_card_type"),
        (_patched(0, "").replace(b"\x8b\x73", b"\x00\xd8", 1), "bad_text"),  # lone surrogate
        (_patched(122, "63280119880512013?"), "bad_field"),
        (_patched(0, " " * 15), "bad_field"),
    ],
)
def test_bad_text_blocks(block: bytes, reason: str) -> None:
    with pytest.raises(TextBlockError) as caught:
        parse_text_block(block)
    assert caught.value.reason == reason
    for secret in (CARD.name, CARD.address, CARD.id_number, "63280119880512013"):
        assert secret not in str(caught.value)


def test_read_data_lengths_checked() -> None:
    with pytest.raises(TextBlockError, match="too short"):
        split_read_data(b"\x01")
    with pytest.raises(TextBlockError, match="expected 256"):
        split_read_data(build_read_data(bytes(256), bytes(1000)))


def test_nations_and_codes() -> None:
    assert len(NATIONS) == 58
    assert (NATIONS["01"], NATIONS["04"], NATIONS["35"], NATIONS["56"]) == (
        "汉",
        "藏",
        "撒拉",
        "基诺",
    )
    assert (NATIONS["97"], NATIONS["98"]) == ("其他", "外国血统中国籍人士")
    assert (CARD.sex_code, CARD.nation_code) == ("1", "01")


# --- masking and the ID number ------------------------------------------------------------


def test_mask_id_number() -> None:
    assert mask_id_number("632801199001011234") == "6328**********1234"
    assert mask_id_number("1234") == "****"


def test_card_repr_and_str_are_masked() -> None:
    masked = CARD.masked()
    assert masked["name"] == "王*" and masked["address"] == "青海省格尔木***"
    assert masked["id_number"] == "6328**********0137"
    assert masked["birth_date"] == "1988-**-**"
    for text in (repr(CARD), str(CARD), f"{CARD}", repr([CARD])):
        assert CARD.name not in text and CARD.id_number not in text
        assert CARD.address not in text and "1988-05-12" not in text
        assert "6328**********0137" in text


def test_validation_errors_do_not_echo_personal_data() -> None:
    with pytest.raises(ValidationError) as caught:
        IdCardText.model_validate(CARD.model_dump() | {"id_number": "63280119880512013Z"})
    assert "63280119880512013" not in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        IdCardText.model_validate(CARD.model_dump() | {"name": "王" * 16})
    assert "王王" not in str(caught.value)


def test_id_number_checksum() -> None:
    assert id_check_digit("11010519491231002") == "X"  # GB 11643 example
    assert id_check_digit("44052418800101001") == "4"
    for card in SAMPLE_CARDS:
        assert is_valid_id_number(card.id_number)
    assert is_valid_id_number("63280120040229057x")
    good = "632801199001011234"[:17]
    good += id_check_digit(good)
    assert is_valid_id_number(good)
    for i in range(17):  # MOD 11-2 catches every single-digit error
        for d in "0123456789":
            if d != good[i]:
                changed = good[:i] + d + good[i + 1 :]
                assert not is_valid_id_number(changed)
    assert not is_valid_id_number("632801199002301238")  # 30 February
    assert not is_valid_id_number("63280119900101123")
    with pytest.raises(ValueError, match="17 digits"):
        id_check_digit("1234")
