"""The envelope codec: round-trips and precise rejections."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols.envelope import (
    MAX_PAYLOAD_BYTES,
    MsgType,
    Sender,
    decode,
    decode_device_message,
    encode,
)
from protocols.errors import PayloadError, TopicError
from protocols.jobs import AckState, JobKind, QrLine, ReceiptParams, TextLine
from protocols.messages import (
    AckBody,
    BirthBody,
    EventBody,
    EventKind,
    Health,
    JobCancel,
    Metric,
    PeripheralInfo,
    Rebirth,
    Role,
    StateBody,
    TelemetryBody,
    Versions,
    make_job_run,
)
from protocols.topics import DeviceChannel, device_topic

SENDER = Sender("hhl-kiosk-01")

BODIES: list[tuple[MsgType, Any]] = [
    (
        MsgType.BIRTH,
        BirthBody(
            device_id="hhl-kiosk-01",
            role=Role.KIOSK,
            site="qh/hx/golmud/hhl",
            name="一号自助机",
            bd_seq=7,
            versions=Versions(agent="0.1.0", protocol=1),
            peripherals=[
                PeripheralInfo(
                    id="rp1", kind="receipt_printer", capabilities=["receipt"], health=Health.OK
                )
            ],
        ),
    ),
    (MsgType.STATE, StateBody(online=True, bd_seq=7)),
    (MsgType.TELE, TelemetryBody(metrics=[Metric(name="jobs_ok", value=3, ts=1)])),
    (
        MsgType.EVT,
        EventBody(
            kind=EventKind.PERIPHERAL_HEALTH,
            peripheral="rp1",
            health=Health.DEGRADED,
            reason="纸将尽",
        ),
    ),
    (
        MsgType.CMD,
        make_job_run(
            job_id="j1",
            kind=JobKind.PRINT_RECEIPT,
            params=ReceiptParams(lines=[TextLine(text="A023"), QrLine(data="x")]).model_dump(),
        ),
    ),
    (MsgType.CMD, JobCancel(job_id="j1")),
    (MsgType.CMD, Rebirth()),
    (
        MsgType.ACK,
        AckBody(job_id="j1", state=AckState.FAILED, reason="paper_out", message="打印机缺纸"),
    ),
]


@pytest.mark.parametrize(
    ("type_", "body"), BODIES, ids=[f"{t}-{i}" for i, (t, _) in enumerate(BODIES)]
)
def test_round_trip(type_: MsgType, body: Any) -> None:
    env = SENDER.envelope(type_, body, corr="c0ffee00", ttl_ms=5_000)
    back = decode(encode(env))
    assert back == env
    assert type(back.body) is type(body)
    assert back.exp is not None and not back.expired()


def test_sequence_numbers_increase_per_sender() -> None:
    s = Sender("dev")
    seqs = [s.envelope(MsgType.STATE, StateBody(online=True, bd_seq=0)).seq for _ in range(3)]
    assert seqs == [0, 1, 2]


def test_expired() -> None:
    env = Sender("dev").envelope(MsgType.CMD, Rebirth(), ttl_ms=0)
    assert env.expired(now_ms=env.ts + 1)


def _payload(**overrides: Any) -> bytes:
    env = SENDER.envelope(MsgType.STATE, StateBody(online=True, bd_seq=1))
    raw = json.loads(encode(env))
    raw.update(overrides)
    return json.dumps(raw).encode()


@pytest.mark.parametrize(
    ("payload", "reason", "words"),
    [
        (b"\xff\xfe", "not_json", "not UTF-8 JSON"),
        (b"{", "not_json", "not UTF-8 JSON"),
        (b"[1, 2]", "not_object", "JSON object"),
        (_payload(type="nope"), "bad_type", "'nope' is unknown"),
        (_payload(v=2), "bad_version", "version 2 is not supported"),
        (_payload(extra=1), "invalid", "extra: Extra inputs are not permitted"),
        (_payload(seq=-1), "invalid", "seq:"),
        (_payload(body={"online": True}), "invalid", "body.bd_seq: Field required"),
        (_payload(id="short"), "invalid", "id:"),
        (b"x" * (MAX_PAYLOAD_BYTES + 1), "too_large", "over the 65536-byte limit"),
    ],
)
def test_rejections_name_the_reason(payload: bytes, reason: str, words: str) -> None:
    with pytest.raises(PayloadError) as info:
        decode(payload)
    assert info.value.reason == reason
    assert words in str(info.value)


def test_encode_refuses_oversized() -> None:
    big = EventBody(kind=EventKind.MESSAGE_REJECTED, data={f"k{i}": "x" * 1100 for i in range(60)})
    with pytest.raises(PayloadError, match="send large content as a blob"):
        encode(SENDER.envelope(MsgType.EVT, big))


def test_channel_must_match_type() -> None:
    payload = encode(SENDER.envelope(MsgType.STATE, StateBody(online=True, bd_seq=1)))
    device, env = decode_device_message(device_topic("k1", DeviceChannel.STATE), payload)
    assert device == "k1" and env.body.online
    with pytest.raises(PayloadError) as info:
        decode_device_message(device_topic("k1", DeviceChannel.BIRTH), payload)
    assert info.value.reason == "type_mismatch"


@pytest.mark.parametrize(
    "topic",
    [
        "kf/v1/dev/k1",
        "kf/v2/dev/k1/state",
        "kf/v1/dev/K1/state",
        "kf/v1/dev/k1/zzz",
        "kf/v1/dev/+/state",
        "a/b/c/d/e",
    ],
)
def test_bad_topics(topic: str) -> None:
    with pytest.raises(TopicError):
        decode_device_message(topic, b"{}")


def test_unknown_command_op_rejected() -> None:
    raw = json.loads(encode(SENDER.envelope(MsgType.CMD, Rebirth())))
    raw["body"] = {"op": "format_disk"}
    with pytest.raises(PayloadError, match="body"):
        decode(json.dumps(raw).encode())


def test_receipt_params_validate() -> None:
    with pytest.raises(ValueError, match="lines"):
        ReceiptParams.model_validate({"lines": []})
    with pytest.raises(ValueError, match="width"):
        ReceiptParams.model_validate({"lines": [{"type": "text", "text": "x", "width": 9}]})


@given(st.binary(max_size=2048))
def test_random_bytes_never_crash_decode(data: bytes) -> None:
    with contextlib.suppress(PayloadError):
        decode(data)


@given(
    st.dictionaries(
        st.sampled_from(["v", "id", "src", "seq", "ts", "mono", "type", "corr", "exp", "body"]),
        st.one_of(
            st.none(),
            st.integers(),
            st.text(max_size=20),
            st.dictionaries(st.text(max_size=5), st.integers()),
        ),
    )
)
def test_random_envelopes_never_crash_decode(raw: dict[str, Any]) -> None:
    with contextlib.suppress(PayloadError):
        decode(json.dumps(raw).encode())
