"""A full disk under the job journal: no crash, no side effect that is not recorded, no
outcome lost. A job that cannot be recorded is refused; one that cannot be marked ``running``
is failed before it starts; an outcome that cannot be recorded is still acked, and a
duplicate command is still answered with it."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from edge_agent.jobs.journal import Journal
from edge_agent.jobs.runner import JobRunner
from protocols.envelope import MsgType, Sender
from protocols.jobs import AckState, JobKind
from protocols.messages import make_job_run

from .test_movable_jobs import LINES, CountingPrinter, Uplink

CLOUD = Sender("cloud")


@pytest.fixture
def disk(small_disk: Callable[[str], Path]) -> Path:
    return small_disk("1m")


def fill(disk: Path) -> None:
    """Take every free byte of ``disk``, as a kiosk's log files would."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)


def free(disk: Path) -> None:
    (disk / "filler").unlink()


def _run(job_id: str) -> object:
    return CLOUD.envelope(
        MsgType.CMD, make_job_run(job_id=job_id, kind=JobKind.PRINT_RECEIPT, params=LINES)
    )


async def test_a_job_that_cannot_be_recorded_is_refused(disk: Path) -> None:
    printer, up = CountingPrinter(), Uplink()
    journal = Journal(disk / "jobs.sqlite3")
    runner = JobRunner(journal, {printer.id: printer}, up)
    fill(disk)
    await runner.handle(_run("j1"))
    refused = await up.next()
    assert refused.state is AckState.REJECTED and refused.reason == "agent_storage"
    assert "free space" in refused.message
    assert printer.printed == []
    journal.close()


async def test_running_not_recorded_means_not_started_and_outcomes_survive(
    disk: Path,
) -> None:
    printer, up = CountingPrinter(), Uplink()
    journal = Journal(disk / "jobs.sqlite3")
    runner = JobRunner(journal, {printer.id: printer}, up)
    await runner.handle(_run("j2"))
    assert (await up.next()).state is AckState.ACCEPTED
    fill(disk)  # the disk fills while the job waits for its printer
    async with asyncio.TaskGroup() as tg:
        workers = tg.create_task(runner.run_workers())
        failed = await up.next()
        workers.cancel()
    assert failed.state is AckState.FAILED and failed.reason == "agent_storage"
    assert "not started" in failed.message
    assert printer.printed == []  # at most once rests on "running" being on disk first

    # a duplicate of the job is answered with the outcome kept in memory
    await runner.handle(_run("j2"))
    assert (await up.next()).state is AckState.FAILED
    assert journal.failed_writes >= 2

    free(disk)  # space again: the next job is recorded and prints
    async with asyncio.TaskGroup() as tg:
        workers = tg.create_task(runner.run_workers())
        await runner.handle(_run("j3"))
        states = [(await up.next()).state for _ in range(3)]
        workers.cancel()
    assert states == [AckState.ACCEPTED, AckState.RUNNING, AckState.SUCCEEDED]
    assert len(printer.printed) == 1
    journal.close()
