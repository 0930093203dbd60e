"""``protocols.privacy``: what the cloud masks in an event or ack before storing it, and that it
says where without saying what."""

from __future__ import annotations

from protocols.jobs import AckState
from protocols.messages import (
    AckBody,
    BirthBody,
    EventBody,
    EventKind,
    Health,
    Metric,
    PeripheralInfo,
    Role,
    StateBody,
    TelemetryBody,
    Versions,
)
from protocols.privacy import MAX_DEPTH, REDACTED_KEY, describe, redact, redact_ack, redact_event

RAW = "632801198805120137"
MASKED = "6328**********0137"


def test_a_clean_event_is_returned_as_it_is() -> None:
    for body in (
        EventBody(kind=EventKind.BUTTON, peripheral="cb", data={"button": 1, "kind": "press"}),
        EventBody(
            kind=EventKind.IDCARD_READ, peripheral="id", data={"id_number": MASKED, "name": "王*"}
        ),
        EventBody(
            kind=EventKind.RATING,
            peripheral="r",
            data={"case_no": "QH-1", "code": 5, "name": "非常满意"},
        ),
        EventBody(
            kind=EventKind.PERIPHERAL_HEALTH, peripheral="p", health=Health.OK, data={"name": "王*"}
        ),
    ):
        result = redact_event(body)
        assert result.body is body and result.findings == ()


def test_id_numbers_anywhere_in_an_event_are_masked() -> None:
    body = EventBody(
        kind=EventKind.PERIPHERAL_HEALTH,
        peripheral=f"p{RAW}",
        health=Health.DEGRADED,
        reason=f"saw {RAW}",
        data={"a": [{"b": int(RAW)}], RAW: True, "flag": True, "n": 3},
    )
    result = redact_event(body)
    assert result.body.reason == f"saw {MASKED}" and result.body.peripheral == f"p{MASKED}"
    assert result.body.data["a"] == [{"b": MASKED}] and result.body.data[MASKED] is True
    assert (result.body.data["flag"], result.body.data["n"]) == (True, 3)
    where = {str(f) for f in result.findings}
    assert where == {
        "data.a[0].b: id_number_18",
        "data.<key>: id_number_18",
        "reason: id_number_18",
        "peripheral: id_number_18",
    }
    assert result.body.data[REDACTED_KEY] == [str(f) for f in result.findings]
    assert RAW not in repr(result.findings)
    # the agent masks without adding the note: a typed kind's model would refuse the key
    assert REDACTED_KEY not in redact_event(body, note=False).body.data


def test_names_are_masked_in_name_fields() -> None:
    free = EventBody(
        kind=EventKind.MESSAGE_REJECTED, data={"姓名": "王晓明", "x": {"Name": "马秀兰"}}
    )
    result = redact_event(free)
    assert result.body.data["姓名"] == "王*" and result.body.data["x"] == {"Name": "马*"}
    assert {f.what for f in result.findings} == {"name"}
    # a typed kind's ``name`` is its own: an idcard_read's must be masked, a rating's a rating
    rating = EventBody(
        kind=EventKind.RATING, peripheral="r", data={"case_no": "1", "name": "王晓明"}
    )
    assert redact_event(rating).body.data["name"] == "王*"
    good = EventBody(
        kind=EventKind.RATING, peripheral="r", data={"case_no": "1", "code": 3, "name": "基本满意"}
    )
    assert redact_event(good).findings == ()


def test_deep_data_is_cut_not_searched() -> None:
    deep: dict[str, object] = {"v": RAW}
    for _ in range(MAX_DEPTH + 5):
        deep = {"d": deep}
    result = redact_event(EventBody(kind=EventKind.MESSAGE_REJECTED, data=deep))
    assert RAW not in repr(result.body)
    assert [f.what for f in result.findings] == ["too_deep"]


def test_an_ack_is_masked_in_reason_message_and_result() -> None:
    body = AckBody(
        job_id="j1",
        state=AckState.SUCCEEDED,
        message=f"printed for {RAW}",
        result={"name": "基本满意", "ids": [RAW]},
    )
    result = redact_ack(body)
    assert result.body.message == f"printed for {MASKED}"
    assert result.body.result == {"name": "基本满意", "ids": [MASKED]}
    assert [str(f) for f in result.findings] == [
        "message: id_number_18",
        "result.ids[0]: id_number_18",
    ]
    clean = AckBody(job_id="j1", state=AckState.RUNNING)
    assert redact_ack(clean).body is clean


def test_a_birth_and_a_telemetry_batch_are_masked_where_they_hold_text() -> None:
    printer = PeripheralInfo(id="rp1", kind="receipt_printer", model=f"m{RAW}", reason=RAW)
    birth = BirthBody(
        device_id="k1",
        role=Role.KIOSK,
        site="qh",
        name=f"kiosk {RAW}",
        bd_seq=1,
        versions=Versions(agent="1", protocol=1),
        peripherals=[printer],
    )
    result = redact(birth)
    assert isinstance(result.body, BirthBody) and result.body.name == f"kiosk {MASKED}"
    assert (result.body.peripherals[0].model, result.body.peripherals[0].reason) == (
        f"m{MASKED}",
        MASKED,
    )
    assert [f.where for f in result.findings] == [
        "peripherals[0].model",
        "peripherals[0].reason",
        "name",
    ]
    metric = Metric(name="reads", value=1.0, ts=0, tags={"card": RAW, RAW: "x"})
    tele = redact(TelemetryBody(metrics=[metric]))
    assert isinstance(tele.body, TelemetryBody)
    assert tele.body.metrics[0].tags == {"card": MASKED, MASKED: "x"}
    assert describe(tele.body) == "telemetry batch" and describe(birth) == "birth"
    state = StateBody(online=True, bd_seq=1)
    assert redact(state).body is state and describe(state) == "StateBody"
