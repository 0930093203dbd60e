"""The agent's second line of defence: control characters in printed text never reach the
printer as commands, even in a job the protocol's validation never saw (``model_construct``,
an older cloud). ``GS V`` would cut, ``ESC p`` kick the cash drawer, ``ESC @`` reset."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from edge_agent.jobs.printable import printable, strip_controls
from protocols.envelope import MsgType
from protocols.escpos import Command, Cut, EscPosDecoder, Init, Unknown
from protocols.jobs import (
    AckState,
    CopyParams,
    DocumentParams,
    JobKind,
    QrLine,
    ReceiptParams,
    TextLine,
)
from protocols.messages import ReceiptJobRun
from simulators.escpos_printer import EscPosPrinterSim

from .test_agent_jobs_flow import CLOUD, make_config, setup

#: cut, then cash-drawer kick, then printer reset, with NULs, inside one text line
HOSTILE = "A\x1dV\x00B\x1bp\x00\x19\x19C\x1b@D\x00E"
#: the same line with its 8 control characters removed
CLEAN = "AVBpC@DE"


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[EscPosPrinterSim]:
    async with EscPosPrinterSim(out_dir=tmp_path / "receipts") as printer:
        yield printer


def unvalidated_run(job_id: str) -> ReceiptJobRun:
    """A ``print_receipt`` built without validation, as a buggy or older cloud might send."""
    params = ReceiptParams.model_construct(
        lines=[
            TextLine.model_construct(text=HOSTILE),
            QrLine.model_construct(data="https://kf.example/q/\x7fA\x85\x1b@"),
        ],
        cut=False,
    )
    return ReceiptJobRun.model_construct(
        job_id=job_id, kind=JobKind.PRINT_RECEIPT, params=params, attempt=1, movable=False
    )


def test_strip_controls_counts_c0_del_and_c1_and_keeps_the_rest() -> None:
    assert strip_controls(HOSTILE) == (CLEAN, 8)
    assert strip_controls("排队号\x7f A012\x9b") == ("排队号 A012", 2)
    assert strip_controls("plain") == ("plain", 0)


def test_titles_and_purposes_are_stripped_too() -> None:
    doc = DocumentParams.model_construct(document="a" * 64, title="证明\x1bp\x00", copies=1)
    copy = CopyParams.model_construct(purpose="办理\x1dV\x00社保", copies=1)
    assert printable(doc)[0].title == "证明p" and printable(doc)[1] == 2
    assert printable(copy)[0].purpose == "办理V社保" and printable(copy)[1] == 2
    clean = ReceiptParams.model_validate({"lines": [{"type": "text", "text": "ok"}]})
    assert printable(clean) == (clean, 0)


async def test_control_characters_never_reach_the_printer(
    broker_url: str, uid: str, tmp_path: Path, sim: EscPosPrinterSim
) -> None:
    dev = f"kiosk-{uid}"
    cfg = make_config(broker_url, dev, tmp_path / "d", sim.port)
    async with setup(broker_url, dev, cfg) as (agent, cloud):
        assert agent.runner is not None
        env = CLOUD.envelope(MsgType.CMD, unvalidated_run("job-ctl"))
        await agent.runner.handle(env)
        acks = await cloud.acks_until_final("job-ctl")
        [receipt] = await sim.wait_for_receipts(1)
    assert acks[-1].body.state is AckState.SUCCEEDED
    raw = (tmp_path / "receipts" / "1.bin").read_bytes()
    events = EscPosDecoder().feed(raw) + EscPosDecoder().flush()
    assert not [e for e in events if isinstance(e, Cut)]  # no cut: the job asked for none
    assert len([e for e in events if isinstance(e, Init)]) == 1  # the driver's own ESC @
    assert not [
        e for e in events if isinstance(e, Command | Unknown) and e.raw.startswith(b"\x1bp")
    ]
    assert CLEAN in receipt.text and receipt.qr == ["https://kf.example/q/A@"]
    assert agent.counters["text_controls_stripped"] == 8 + 3
