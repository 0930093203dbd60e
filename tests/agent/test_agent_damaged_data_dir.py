"""A real agent whose data directory was damaged (a failing SD card): garbage in ``bd_seq``, the
job journal and the outbox. It starts, sets each file aside with a WARNING, comes online with a
session number above the last one it used, and prints a job — on a real Mosquitto."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from edge_agent.agent import Agent
from protocols.envelope import MsgType, Sender, encode
from protocols.jobs import AckState, JobKind
from protocols.messages import make_job_run
from simulators.escpos_printer import EscPosPrinterSim

from .test_agent_presence import make_config, next_on, running, sim, watcher  # noqa: F401

DAMAGED = ("bd_seq", "jobs.sqlite3", "outbox.sqlite3")
SQLITE_EXTRA = ("-wal", "-shm")
FINAL = {AckState.SUCCEEDED, AckState.FAILED, AckState.UNCERTAIN, AckState.REJECTED}


async def test_an_agent_on_a_damaged_data_dir_starts_and_prints(
    mosquitto_url: str,
    uid: str,
    tmp_path: Path,
    sim: EscPosPrinterSim,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    data, dev = tmp_path / "data", f"kiosk-{uid}"
    data.mkdir()
    for name in DAMAGED:
        (data / name).write_bytes(os.urandom(8192))
    (data / "bd_seq.bak").write_text("41\n")  # sessions 0..41 happened before the damage
    agent = Agent(make_config(mosquitto_url, dev, data, sim.port))
    with caplog.at_level(logging.WARNING):
        async with (
            running(agent),
            watcher(mosquitto_url, f"kf/v1/dev/{dev}/+", f"w-{uid}") as client,
        ):
            assert agent.link.bd_seq == 42
            online = await next_on(client, f"/{dev}/state", lambda e: e.body.online)
            assert online.body.bd_seq == 42
            run = make_job_run(
                job_id=f"j-{uid}",
                kind=JobKind.PRINT_RECEIPT,
                params={"lines": [{"type": "text", "text": "A017"}]},
            )
            env = Sender("cloud").envelope(MsgType.CMD, run)
            await client.publish(f"kf/v1/dev/{dev}/cmd", encode(env), qos=1)
            done = await next_on(client, f"/{dev}/ack", lambda e: e.body.state in FINAL)
    assert done.body.state is AckState.SUCCEEDED
    [receipt] = await sim.wait_for_receipts(1)
    assert receipt.lines == ["A017"]
    for name in DAMAGED:
        [aside] = [p for p in data.glob(f"{name}.corrupt-*") if p.name[-4:] not in SQLITE_EXTRA]
        assert any(str(aside) in r.getMessage() for r in caplog.records), name
