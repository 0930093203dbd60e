"""A command's bytes are parsed once: a valid one becomes its typed envelope, a bad one a
``BadCommand`` whose job (if it names one) is salvaged from that same parse."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from edge_agent.link.commands import BadCommand, decode_command
from protocols import envelope
from protocols.envelope import MAX_PAYLOAD_BYTES, MsgType, Sender, encode
from protocols.jobs import JobKind, ReceiptParams
from protocols.messages import JobCancel, ReceiptJobRun, make_job_run

CLOUD = Sender("cloud")
LINES = {"lines": [{"type": "text", "text": "A001"}]}


def run_payload(**body: Any) -> tuple[str, bytes]:
    env = CLOUD.envelope(
        MsgType.CMD, make_job_run(job_id="j1", kind=JobKind.PRINT_RECEIPT, params=LINES)
    )
    raw = json.loads(encode(env))
    raw["body"].update(body)
    return env.id, json.dumps(raw).encode()


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every ``json.loads`` the decoder makes."""
    calls: list[bytes] = []

    def counting(data: bytes) -> Any:
        calls.append(data)
        return json.loads(data)

    counted = SimpleNamespace(loads=counting, JSONDecodeError=json.JSONDecodeError)
    monkeypatch.setattr(envelope, "json", counted)
    return calls


def test_a_valid_job_run_is_typed(loads: list[bytes]) -> None:
    _, payload = run_payload()
    env = decode_command(payload)
    assert not isinstance(env, BadCommand)
    assert isinstance(env.body, ReceiptJobRun) and isinstance(env.body.params, ReceiptParams)
    assert len(loads) == 1


def test_bad_params_are_salvaged_from_the_one_parse(loads: list[bytes]) -> None:
    cmd_id, payload = run_payload(params={"lines": []}, attempt=3)
    bad = decode_command(payload)
    assert isinstance(bad, BadCommand) and bad.reason == "invalid"
    assert "params" in bad.message and bad.job is not None
    assert (bad.job.job_id, bad.job.attempt, bad.job.kind, bad.job.cmd_id) == (
        "j1",
        3,
        "print_receipt",
        cmd_id,
    )
    assert len(loads) == 1


def test_an_unknown_kind_names_its_job(loads: list[bytes]) -> None:
    _, payload = run_payload(kind="print_a4")
    bad = decode_command(payload)
    assert isinstance(bad, BadCommand) and bad.job is not None and bad.job.kind == "print_a4"
    assert len(loads) == 1


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff not json", "not_json"),
        (b"[1, 2]", "not_object"),
        (b"{" + b" " * MAX_PAYLOAD_BYTES + b"}", "too_large"),
        (json.dumps({"v": 1, "type": "nope"}).encode(), "bad_type"),
        (json.dumps({"v": 1, "type": "ack"}).encode(), "type_mismatch"),
        (json.dumps({"v": 99, "type": "cmd"}).encode(), "bad_version"),
    ],
)
def test_what_is_not_a_command_says_why(payload: bytes, reason: str) -> None:
    bad = decode_command(payload)
    assert isinstance(bad, BadCommand) and bad.reason == reason and bad.job is None


def test_a_cancel_is_no_job_to_salvage() -> None:
    env = CLOUD.envelope(MsgType.CMD, JobCancel(job_id="j1"))
    raw = json.loads(encode(env))
    raw["body"]["job_id"] = ""
    bad = decode_command(json.dumps(raw).encode())
    assert isinstance(bad, BadCommand) and bad.reason == "invalid" and bad.job is None
