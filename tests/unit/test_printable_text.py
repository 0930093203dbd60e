"""Printed text refuses control characters: on a receipt printer they are commands."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from protocols.jobs import CopyParams, DocumentParams, QrLine, ReceiptParams, TextLine
from protocols.messages import make_job_run

SHA = "0" * 64


@pytest.mark.parametrize(
    "bad",
    [
        "A023\x1dV\x00",  # GS V 0: cut
        "\x1bp\x00\x19\xfa",  # ESC p: cash-drawer kick
        "\x1b@",  # ESC @: reset
        "x\x00y",  # NUL
        "line\nbreak",  # LF: a line of its own belongs in its own TextLine
        "tab\there",
        "del\x7f",
        "c1\x9b",  # CSI
    ],
)
def test_control_characters_are_refused_with_their_position(bad: str) -> None:
    with pytest.raises(ValidationError) as err:
        TextLine(text=bad)
    msg = err.value.errors()[0]["msg"]
    assert "control character U+" in msg and "position" in msg
    with pytest.raises(ValidationError):
        QrLine(data=bad)
    with pytest.raises(ValidationError):
        CopyParams(purpose=bad[:32])
    with pytest.raises(ValidationError):
        DocumentParams(document=SHA, title=bad)


def test_ordinary_text_is_kept() -> None:
    line = TextLine(text="黄河路街道办事处 · A023 ～ №1 «ok» 😀")
    assert line.text.startswith("黄河路")
    assert CopyParams(purpose="办理户籍业务").purpose == "办理户籍业务"


def test_a_job_run_with_a_control_character_is_not_a_job_run() -> None:
    with pytest.raises(ValidationError) as err:
        make_job_run(
            job_id="j1",
            kind="print_receipt",
            params={"lines": [{"type": "text", "text": "\x1d\x56\x00"}]},
        )
    assert "params.lines.0.text" in str(err.value).replace("print_receipt.", "")


def test_job_run_params_are_typed_per_kind() -> None:
    run = make_job_run(
        job_id="j1", kind="print_receipt", params={"lines": [{"type": "text", "text": "A023"}]}
    )
    assert isinstance(run.params, ReceiptParams)
    copy = make_job_run(job_id="j2", kind="copy", params={"purpose": "办理户籍业务"})
    assert isinstance(copy.params, CopyParams)
    with pytest.raises(ValidationError):  # a copy's params are not a receipt's
        make_job_run(job_id="j3", kind="copy", params={"lines": [{"type": "text", "text": "A023"}]})


def test_counts_are_integers_not_booleans() -> None:
    """``true`` is not 1 copy: JSON booleans are refused where the protocol wants a number."""
    for bad in (True, "2", 2.5):
        with pytest.raises(ValidationError):
            ReceiptParams.model_validate({"lines": [{"type": "text", "text": "A"}], "copies": bad})
    for good in (2, 2.0):
        lines = [{"type": "text", "text": "A"}]
        assert ReceiptParams.model_validate({"lines": lines, "copies": good}).copies == 2
