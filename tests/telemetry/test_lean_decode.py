"""The lean ``tele`` decoder (``cloud.telemetry.lean``) accepts what ``decode`` accepts, refuses
what it refuses with the same reason, and leaves batches that may hold an ID number to the
full path, where ``protocols.privacy`` masks them."""

from __future__ import annotations

import json

import pytest

from cloud.telemetry.lean import LeanTelemetryBody, decode_tele
from protocols.envelope import MAX_PAYLOAD_BYTES, MsgType, Sender, decode, encode, wall_ms
from protocols.errors import PayloadError
from protocols.messages import Metric, TelemetryBody
from protocols.privacy import redact

NOW = wall_ms()


def payload(**change: object) -> bytes:
    body = TelemetryBody(
        metrics=[
            Metric(name="sys.cpu_pct", value=12.5, ts=NOW),
            Metric(name="peripheral.pages", value=3, ts=NOW, tags={"peripheral": "receipt"}),
        ]
    )
    raw = json.loads(encode(Sender("k1").envelope(MsgType.TELE, body)))
    raw.update(change)
    return json.dumps(raw).encode()


def test_a_good_batch_decodes_to_the_same_values_on_the_lean_path() -> None:
    good = payload()
    full, lean = decode(good, MsgType.TELE), decode_tele(good)
    assert isinstance(lean.body, LeanTelemetryBody)
    assert lean.model_dump(exclude={"body"}) == full.model_dump(exclude={"body"})
    assert [(m.name, m.value, m.ts, m.tags) for m in lean.body.metrics] == [
        (m.name, m.value, m.ts, m.tags) for m in full.body.metrics
    ]


METRIC = {"name": "sys.cpu_pct", "value": 1, "ts": NOW}
BAD = [
    b"not json",
    b"[1, 2]",
    payload(type="evt"),
    payload(type="nonsense"),
    payload(v=2),
    payload(extra=1),
    payload(body={"metrics": []}),
    payload(body={"metrics": [{**METRIC, "value": "abc"}]}),
    payload(body={"metrics": [{**METRIC, "unit": "%"}]}),
    payload(body={"metrics": [{**METRIC, "name": ""}]}),
    payload(body={"metrics": [{**METRIC, "tags": {f"t{i}": "x" for i in range(17)}}]}),
    payload(body={"metrics": [METRIC] * 1001}),
    payload(id="short"),
    b"{" + b" " * MAX_PAYLOAD_BYTES + b"}",
]


@pytest.mark.parametrize("bad", BAD, ids=range(len(BAD)))
def test_bad_payloads_are_refused_with_the_reason_the_full_decoder_gives(bad: bytes) -> None:
    with pytest.raises(PayloadError) as full:
        decode(bad, MsgType.TELE)
    with pytest.raises(PayloadError) as lean:
        decode_tele(bad)
    assert (lean.value.reason, str(lean.value)) == (full.value.reason, str(full.value))


def test_a_batch_that_may_hold_an_id_number_takes_the_full_path_and_is_masked() -> None:
    id_number = "11010519491231002X"
    metric = {**METRIC, "tags": {"reader": id_number}}
    env = decode_tele(payload(body={"metrics": [metric]}))
    assert isinstance(env.body, TelemetryBody)
    safe = redact(env.body)
    assert safe.findings
    assert id_number not in json.dumps(safe.body.model_dump())


def test_a_text_holding_an_id_number_is_never_remembered_as_clean() -> None:
    """The lean path remembers names and tags it found clean (a fleet repeats them); a text
    that may hold an ID number takes the full path every time it comes, and a clean name
    seen before does not let a dirty tag beside it through."""
    id_number = "11010519491231002X"
    dirty = payload(body={"metrics": [{**METRIC, "tags": {"reader": id_number}}]})
    clean = payload(body={"metrics": [{**METRIC, "tags": {"reader": "desk"}}]})
    assert isinstance(decode_tele(clean).body, LeanTelemetryBody)
    for _ in range(2):
        assert isinstance(decode_tele(dirty).body, TelemetryBody)
    long_name = {**METRIC, "name": "reader.k" + id_number.lower()}
    assert isinstance(decode_tele(payload(body={"metrics": [long_name]})).body, TelemetryBody)
    assert isinstance(decode_tele(clean).body, LeanTelemetryBody)
