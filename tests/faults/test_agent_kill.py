"""The agent is SIGKILLed at each step of a receipt job and started again.

The agent is a real process (``python -m kfleet agent run``); the cloud runs in-process on our
own Mosquitto; the printer is the ESC/POS simulator, whose ``hold_after_bytes`` stalls the
job at an exact byte so the kill lands where the test says:

- ``before_accept``: the agent is frozen (SIGSTOP) when the cloud sends ``job.run``, then
  killed: the restarted agent gets the command again and prints once;
- ``after_accept``: accepted (journaled) but the printer has not answered the status query
  yet: the restarted agent runs it from its journal and prints once;
- ``mid_print``: half the receipt's bytes reached the printer; ``after_print``: the whole
  receipt printed, the status query after it is unanswered. The journal says ``running``: the
  restarted agent reports ``uncertain`` (never a silent reprint) and the operator decides —
  ``reprint`` prints exactly one more receipt, ``done`` none.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from simulators.escpos_printer import EscPosPrinterSim
from tests.faults.conftest import CloudEnv
from tests.faults.ledger import (
    STATUS_QUERIES,
    TERMINAL,
    device_online,
    printed,
    receipt_bytes,
    submit,
    transitions,
    wait_state,
)
from tests.faults.procs import AgentProcess, Mosquitto, agent_toml, tail


@pytest.mark.parametrize(
    ("step", "decision"),
    [
        ("before_accept", None),
        ("after_accept", None),
        ("mid_print", "reprint"),
        ("mid_print", "done"),
        ("after_print", "reprint"),
        ("after_print", "done"),
    ],
)
async def test_agent_killed_during_a_job(
    tmp_path: Path,
    uid: str,
    broker: Mosquitto,
    printer: EscPosPrinterSim,
    cloud_env: CloudEnv,
    step: str,
    decision: str | None,
) -> None:
    _, client = cloud_env
    dev, tag = f"kiosk-{uid}", f"{step}-{uid}"
    config = agent_toml(
        tmp_path / "agent" / "agent.toml",
        device_id=dev,
        broker_url=broker.url,
        printer_port=printer.port,
        status_timeout_s=30,  # a held printer keeps the agent waiting until we kill it
    )
    with AgentProcess(config) as agent:
        agent.start()
        await device_online(client, dev)
        job = await kill_at(step, agent, printer, client, dev, tag)
        assert not agent.running()

        printer.faults.hold_after_bytes = None
        printer.release()  # what was held reaches the paper (or the closed socket) now
        if step in ("mid_print", "after_print"):
            await printer.wait_for_receipts(1)  # the print the kill interrupted
        agent.start()
        try:
            await check_outcome(step, decision, client, printer, dev, tag, job["id"])
        except AssertionError:
            print(f"agent log:\n{tail(agent.log)}")
            raise


async def kill_at(
    step: str,
    agent: AgentProcess,
    printer: EscPosPrinterSim,
    client: httpx.AsyncClient,
    dev: str,
    tag: str,
) -> dict[str, object]:
    """Submit the job and SIGKILL the agent at ``step``; returns the job as submitted."""
    if step == "before_accept":
        agent.pause()  # the command reaches a process that cannot read it
        job = await submit(client, dev, tag)
        assert job["state"] == "dispatched", job
        agent.kill()
        return job
    printer.faults.hold_after_bytes = {
        "after_accept": 0,  # not even the status query before the job is read
        "mid_print": STATUS_QUERIES + receipt_bytes(tag) // 2,
        "after_print": STATUS_QUERIES + receipt_bytes(tag),  # up to and with the cut
    }[step]
    job = await submit(client, dev, tag)
    await printer.wait_held(1, timeout=20)
    expected = "accepted" if step == "after_accept" else "running"
    await wait_state(client, str(job["id"]), {expected})
    assert printed(printer.out_dir)[tag] == (1 if step == "after_print" else 0)
    agent.kill()
    return job


async def check_outcome(
    step: str,
    decision: str | None,
    client: httpx.AsyncClient,
    printer: EscPosPrinterSim,
    dev: str,
    tag: str,
    job_id: str,
) -> None:
    if decision is None:  # nothing was printed before the kill: it simply runs, once
        done = await wait_state(client, job_id, TERMINAL)
        assert done["state"] == "succeeded", done
        assert printed(printer.out_dir)[tag] == 1
        assert "uncertain" not in await transitions(client, job_id)
        return
    settled = await wait_state(client, job_id, TERMINAL | {"uncertain"})
    assert settled["state"] == "uncertain", settled
    assert settled["reason"] == "agent_restarted", settled
    assert printed(printer.out_dir)[tag] == 1  # the interrupted print, and no silent reprint

    r = await client.post(f"/api/v1/jobs/{job_id}/resolve", json={"action": decision})
    assert r.status_code == 200, r.text
    done = await wait_state(client, job_id, TERMINAL)
    assert done["state"] == "succeeded", done
    # a later job proves the agent is idle again: nothing for ``tag`` can still be on its way
    after = await submit(client, dev, f"after-{tag}")
    assert (await wait_state(client, after["id"], TERMINAL))["state"] == "succeeded"
    counts = printed(printer.out_dir)
    assert counts[tag] == (2 if decision == "reprint" else 1), counts
    assert counts[f"after-{tag}"] == 1
    assert done["attempts"] == (2 if decision == "reprint" else 1), done
