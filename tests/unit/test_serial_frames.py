"""The serial frame codec of the call button and the rating pad (protocols.serial_frames)."""

from __future__ import annotations

import binascii

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols.serial_frames import (
    DLE,
    ETX,
    GARBAGE_REPORT,
    MAX_PAYLOAD,
    RATING_NAMES,
    REASON_NAMES,
    STX,
    Ack,
    Beep,
    ButtonEvt,
    ButtonKind,
    Cancel,
    Frame,
    FrameDecoder,
    FrameError,
    Heartbeat,
    LedMode,
    Message,
    MsgType,
    Nak,
    NakReason,
    PadStatus,
    RateRequest,
    RatingAnswer,
    Reason,
    Reject,
    SeqWindow,
    SetLed,
    StatusQuery,
    Sync,
    crc16,
    decode_message,
    encode_frame,
    encode_message,
    is_reliable_type,
    nak_for,
    payload_of,
)

MESSAGES: list[Message] = [
    Sync(),
    Heartbeat(device="call_button", fw="CB-1.0.3", interval_ms=5000, uptime_ms=12_345),
    Ack(),
    Ack(status=PadStatus(state="asking", case="GM-2024-000123")),
    Nak(reason=NakReason.BUSY),
    ButtonEvt(button=3, kind=ButtonKind.LONG_PRESS, t=0xFFFFFFFF),
    SetLed(button=1, mode=LedMode.BLINK),
    Beep(ms=200, count=2),
    RateRequest(case="GM-2024-000123", window="3号窗口", staff="张三 A023", timeout_ms=30_000),
    RatingAnswer(case="GM-1", code=5),
    RatingAnswer(case="GM-1", code=2, reasons=[Reason.WAIT_LONG, Reason.NOT_INFORMED]),
    RatingAnswer(case="GM-1", timeout=True),
    Cancel(case="GM-1"),
    Cancel(),
    StatusQuery(),
]


def decode_all(data: bytes) -> list[Frame | FrameError]:
    return FrameDecoder().feed(data)


def frames_of(items: list[Frame | FrameError]) -> list[Frame]:
    return [i for i in items if isinstance(i, Frame)]


def reasons_of(items: list[Frame | FrameError]) -> list[Reject]:
    return [i.reason for i in items if isinstance(i, FrameError)]


def test_crc_check_value() -> None:
    assert crc16(b"123456789") == 0x29B1  # CRC-16/CCITT-FALSE catalogue check value


@given(st.binary(max_size=300))
def test_crc_agrees_with_binascii(data: bytes) -> None:
    assert crc16(data) == binascii.crc_hqx(data, 0xFFFF)


@pytest.mark.parametrize("msg", MESSAGES, ids=lambda m: type(m).__name__)
def test_every_message_round_trips(msg: Message) -> None:
    (frame,) = decode_all(encode_message(7, msg))
    assert isinstance(frame, Frame)
    assert (frame.seq, frame.type) == (7, msg.TYPE)
    assert decode_message(frame) == msg


def test_canonical_json_is_compact_sorted_utf8() -> None:
    msg = RateRequest(case="A1", window="3号窗口", timeout_ms=1000)
    assert payload_of(msg) == '{"case":"A1","timeout_ms":1000,"window":"3号窗口"}'.encode()
    assert payload_of(Ack()) == b"{}"
    assert payload_of(Beep()) == b"{}"  # defaults are omitted


def test_known_frame_bytes() -> None:
    """The example in docs/serial-peripherals.md, byte for byte."""
    data = encode_message(5, ButtonEvt(button=1, kind=ButtonKind.PRESS, t=1000))
    assert data.hex(" ") == (
        "02 01 05 20 00 24 7b 22 62 75 74 74 6f 6e 22 3a 31 2c 22 6b 69 6e 64 22 3a 22 70 72 65 "
        "73 73 22 2c 22 74 22 3a 31 30 30 30 7d d6 2d 03"
    )
    assert encode_message(0, Sync()).hex(" ") == "02 01 00 01 00 10 22 7b 7d f6 07 03"
    assert encode_message(0x10, Ack()).hex(" ") == "02 01 10 30 06 00 10 22 7b 7d 8b 57 03"


def test_control_bytes_inside_a_frame_are_stuffed() -> None:
    payload = bytes([STX, ETX, DLE, 0x22, 0x30]) * 3
    data = encode_frame(STX, ETX, payload)
    assert STX not in data[1:-1] and ETX not in data[1:-1]
    assert decode_all(data) == [Frame(seq=STX, type=ETX, payload=payload)]


def test_flipped_bit_is_rejected_by_crc() -> None:
    data = bytearray(encode_message(1, SetLed(button=2, mode=LedMode.ON)))
    data[10] ^= 0x04
    assert reasons_of(decode_all(bytes(data))) == [Reject.BAD_CRC]
    assert reasons_of(decode_all(encode_message(1, Sync(), corrupt_crc=True))) == [Reject.BAD_CRC]


def test_truncated_frame_then_good_frame() -> None:
    good = encode_message(2, Sync())
    items = decode_all(good[:6] + good)
    assert reasons_of(items) == [Reject.TRUNCATED]
    assert frames_of(items) == decode_all(good)


def test_resync_after_garbage() -> None:
    good = encode_message(9, StatusQuery())
    items = decode_all(b"\xff\x00hello" + good + b"\x03\x10zz" + good)
    assert [type(i) for i in items] == [FrameError, Frame, FrameError, Frame]
    assert reasons_of(items) == [Reject.GARBAGE, Reject.GARBAGE]
    assert items[0] == FrameError(Reject.GARBAGE, "7 bytes")


def test_long_garbage_is_reported_in_bounded_runs() -> None:
    items = decode_all(b"\x00" * (GARBAGE_REPORT * 2 + 5))
    assert items == [FrameError(Reject.GARBAGE, f"{GARBAGE_REPORT} bytes")] * 2


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\x01\x00", Reject.SHORT),
        (b"\x01\x00\x01\x10\x41", Reject.BAD_ESCAPE),
        (b"\x01" * (MAX_PAYLOAD + 8), Reject.TOO_LONG),
    ],
)
def test_malformed_bodies(body: bytes, reason: Reject) -> None:
    assert reasons_of(decode_all(bytes([STX]) + body + bytes([ETX]))) == [reason]


def test_bad_version_and_bad_length() -> None:
    body = bytes((2, 0, 1, 0, 0))
    assert reasons_of(decode_all(_raw_frame(body))) == [Reject.BAD_VERSION]
    body = bytes((1, 0, 1, 0, 5)) + b"{}"
    assert reasons_of(decode_all(_raw_frame(body))) == [Reject.BAD_LENGTH]


def _raw_frame(body: bytes) -> bytes:
    """A frame built by hand (stuffing as the document describes), to break rules on purpose."""
    raw = body + crc16(body).to_bytes(2, "big")
    stuffed = raw.replace(b"\x10", b"\x10\x30").replace(b"\x02", b"\x10\x22")
    return bytes([STX]) + stuffed.replace(b"\x03", b"\x10\x23") + bytes([ETX])


def test_encoder_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError):
        encode_frame(256, 1)
    with pytest.raises(ValueError):
        encode_frame(0, 1, b"x" * (MAX_PAYLOAD + 1))


@pytest.mark.parametrize(
    ("type_", "payload", "reason"),
    [
        (0x7F, b"{}", Reject.UNKNOWN_TYPE),
        (MsgType.RATING, b'{"case":"A","code":4,"reasons":["slow"]}', Reject.BAD_PAYLOAD),
        (MsgType.RATING, b'{"case":"A","code":2,"timeout":true}', Reject.BAD_PAYLOAD),
        (MsgType.RATING, b'{"case":"A"}', Reject.BAD_PAYLOAD),
        (MsgType.RATING, b'{"case":"A","code":"5"}', Reject.BAD_PAYLOAD),
        (MsgType.RATING, b'{"case":"A","code":2,"reasons":["other","other"]}', Reject.BAD_PAYLOAD),
        (MsgType.SET_LED, b'{"button":1,"mode":"on","colour":"red"}', Reject.BAD_PAYLOAD),
        (MsgType.SET_LED, b"[1]", Reject.BAD_PAYLOAD),
        (MsgType.BUTTON, b"\xff\xfe", Reject.BAD_PAYLOAD),
    ],
)
def test_invalid_content_is_an_error_not_an_exception(
    type_: int, payload: bytes, reason: Reject
) -> None:
    frame = Frame(seq=4, type=type_, payload=payload)
    result = decode_message(frame)
    assert isinstance(result, FrameError)
    assert result.reason is reason and result.frame == frame and result.detail


def test_empty_payload_means_empty_object() -> None:
    assert decode_message(Frame(seq=0, type=MsgType.STATUS_QUERY, payload=b"")) == StatusQuery()


def test_nak_owed_only_for_reliable_frames() -> None:
    unknown = decode_message(Frame(seq=3, type=0x7F, payload=b"{}"))
    bad = decode_message(Frame(seq=3, type=MsgType.SET_LED, payload=b"{}"))
    bad_hb = decode_message(Frame(seq=0, type=MsgType.HEARTBEAT, payload=b"{}"))
    assert isinstance(unknown, FrameError) and isinstance(bad, FrameError)
    assert isinstance(bad_hb, FrameError)
    assert nak_for(unknown) == Nak(reason=NakReason.UNSUPPORTED)
    assert nak_for(bad) == Nak(reason=NakReason.BAD_PAYLOAD)
    assert nak_for(bad_hb) is None  # unreliable frames are never answered
    assert nak_for(FrameError(Reject.BAD_CRC)) is None  # SEQ not trustworthy


def test_reliability_of_types() -> None:
    assert not is_reliable_type(MsgType.ACK) and not is_reliable_type(MsgType.HEARTBEAT)
    assert is_reliable_type(MsgType.BUTTON) and is_reliable_type(0x7F)


def test_seq_window_spots_retransmissions() -> None:
    window = SeqWindow(size=4)
    assert [window.is_duplicate(s) for s in (1, 2, 1, 3, 4, 5, 6, 1)] == [
        False,
        False,
        True,
        False,
        False,
        False,
        False,
        False,  # 1 fell out of the window
    ]
    window.clear()
    assert not window.is_duplicate(6)


def test_chinese_names_cover_every_code() -> None:
    assert sorted(RATING_NAMES) == [1, 2, 3, 4, 5]
    assert RATING_NAMES[5] == "非常满意" and RATING_NAMES[1] == "非常不满意"
    assert set(REASON_NAMES) == set(Reason)


# --- properties -------------------------------------------------------------------------------

payloads = st.binary(max_size=80)
frames = st.builds(
    lambda seq, type_, payload: encode_frame(seq, type_, payload),
    st.integers(0, 255),
    st.integers(0, 255),
    payloads,
)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@given(st.binary(max_size=2000), st.lists(st.integers(0, 4000), max_size=30))
def test_any_bytes_any_chunking_never_raises_and_agree(data: bytes, cuts: list[int]) -> None:
    whole = FrameDecoder().feed(data)
    decoder = FrameDecoder()
    pieces = [item for chunk in chunked(data, cuts) for item in decoder.feed(chunk)]
    assert pieces == whole
    for item in whole:
        if isinstance(item, Frame):
            assert isinstance(decode_message(item), Message | FrameError)


@given(
    st.lists(st.tuples(frames, st.binary(max_size=40)), max_size=12),
    st.lists(st.integers(0, 4000), max_size=20),
)
def test_frames_survive_any_garbage_between_them(
    stream: list[tuple[bytes, bytes]], cuts: list[int]
) -> None:
    """Garbage before a frame never costs that frame (every STX restarts the decoder)."""
    data = b"".join(garbage + frame for frame, garbage in stream)
    decoder = FrameDecoder()
    got = frames_of([i for chunk in chunked(data, cuts) for i in decoder.feed(chunk)])
    expected = [decode_all(frame)[0] for frame, _ in stream]
    it = iter(got)
    assert all(any(g == e for g in it) for e in expected)  # in order; noise may add frames


@given(st.lists(st.tuples(frames, st.binary(max_size=40)), max_size=12))
def test_stx_free_garbage_adds_nothing(stream: list[tuple[bytes, bytes]]) -> None:
    data = b"".join(garbage.replace(b"\x02", b"") + frame for frame, garbage in stream)
    assert frames_of(decode_all(data)) == [decode_all(frame)[0] for frame, _ in stream]
