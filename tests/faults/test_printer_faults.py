"""The receipt printer fails in the middle of a job: it vanishes (TCP reset after half the
receipt) or its paper runs out. The job never ends ``succeeded``: it is ``uncertain`` with the
reason (bytes had left, the operator decides), or ``failed`` when nothing was sent; the agent
stays up and prints the next job once the printer is back."""

from __future__ import annotations

from pathlib import Path

from simulators.escpos_printer import EscPosPrinterSim
from tests.faults.conftest import CloudEnv
from tests.faults.ledger import (
    STATUS_QUERIES,
    TERMINAL,
    device_online,
    printed,
    receipt_bytes,
    submit,
    wait_state,
)
from tests.faults.procs import Mosquitto, agent_toml, running_agent

SETTLED = TERMINAL | {"uncertain"}


def config(tmp_path: Path, uid: str, broker: Mosquitto, printer: EscPosPrinterSim) -> Path:
    return agent_toml(
        tmp_path / "agent" / "agent.toml",
        device_id=f"kiosk-{uid}",
        broker_url=broker.url,
        printer_port=printer.port,
        status_timeout_s=5,
    )


async def test_printer_vanishes_mid_job(
    tmp_path: Path, uid: str, broker: Mosquitto, printer: EscPosPrinterSim, cloud_env: CloudEnv
) -> None:
    _, client = cloud_env
    dev, tag = f"kiosk-{uid}", f"vanish-{uid}"
    async with running_agent(config(tmp_path, uid, broker, printer)) as agent:
        await device_online(client, dev)
        printer.faults.drop_mid_job = STATUS_QUERIES + receipt_bytes(tag) // 2
        job = await submit(client, dev, tag)
        settled = await wait_state(client, job["id"], SETTLED)
        assert settled["state"] == "uncertain", settled
        assert settled["reason"] == "connection_lost", settled
        assert settled["attempts"] == 1  # an uncertain job is never retried by itself
        assert printed(printer.out_dir)[tag] == 0  # the printer discarded the torn receipt

        printer.faults.drop_mid_job = None  # power is back
        later = await submit(client, dev, f"later-{uid}")
        assert (await wait_state(client, later["id"], SETTLED))["state"] == "succeeded"
        assert printed(printer.out_dir) == {f"later-{uid}": 1}
        assert agent.counters["jobs_uncertain"] == 1 and agent.counters["jobs_succeeded"] == 1


async def test_paper_runs_out_mid_job(
    tmp_path: Path, uid: str, broker: Mosquitto, printer: EscPosPrinterSim, cloud_env: CloudEnv
) -> None:
    _, client = cloud_env
    dev, tag = f"kiosk-{uid}", f"paper-{uid}"
    async with running_agent(config(tmp_path, uid, broker, printer)) as agent:
        await device_online(client, dev)
        printer.faults.hold_after_bytes = STATUS_QUERIES + receipt_bytes(tag) // 2
        job = await submit(client, dev, tag)
        await printer.wait_held(1)
        printer.faults.paper_out = True  # the roll ends under the print head
        printer.release()
        settled = await wait_state(client, job["id"], SETTLED)
        assert settled["state"] == "uncertain", settled
        assert settled["reason"] == "paper_out", settled
        assert printer.discarded == 1 and printed(printer.out_dir)[tag] == 0

        # still out of paper: the next job fails before any byte is printed
        empty = await submit(client, dev, f"empty-{uid}", max_attempts=1)
        failed = await wait_state(client, empty["id"], SETTLED)
        assert (failed["state"], failed["reason"]) == ("failed", "paper_out"), failed

        printer.faults.paper_out = False  # the roll is replaced
        later = await submit(client, dev, f"later-{uid}")
        assert (await wait_state(client, later["id"], SETTLED))["state"] == "succeeded"
        assert printed(printer.out_dir) == {f"later-{uid}": 1}
        assert printer.discarded == 1
        assert agent.counters["jobs_uncertain"] == 1 and agent.counters["jobs_failed"] == 1
