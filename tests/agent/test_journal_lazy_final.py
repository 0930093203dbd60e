"""Issue 17: the job journal's last write of a job that ran waits for no fsync (the next
full commit flushes it), but every write that guards at-most-once still does: ``accepted``
before its ack leaves, ``running`` before the first byte, and a final state written over
``accepted`` (lost, the job would run again after a power cut)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from edge_agent.drivers.base import PrintReport
from edge_agent.errors import PrinterError
from edge_agent.jobs.journal import Journal
from edge_agent.jobs.runner import JobRunner
from protocols.envelope import MsgType, Sender
from protocols.jobs import AckState, FailureReason, JobKind, ReceiptParams
from protocols.messages import make_job_run

from .test_movable_jobs import LINES, CountingPrinter, Uplink

CLOUD = Sender("cloud")


class RefusingPrinter(CountingPrinter):
    """Out of paper: refuses before ``on_start``, so nothing is printed."""

    async def print_receipt(
        self, params: ReceiptParams, on_start: Callable[[], Awaitable[None]]
    ) -> PrintReport:
        raise PrinterError(FailureReason.PAPER_OUT, "out of paper", side_effect_possible=False)


def _commits(journal: Journal) -> list[tuple[str, str]]:
    """(synchronous mode, state written) of every UPDATE/INSERT the journal commits."""
    mode, seen = "FULL", []

    def trace(sql: str) -> None:
        nonlocal mode
        if sql.startswith("PRAGMA synchronous="):
            mode = sql.split("=")[1]
        elif sql.startswith(("UPDATE jobs SET state", "INSERT OR REPLACE INTO jobs")):
            seen.append((mode, sql))

    journal._db.set_trace_callback(trace)
    return seen


async def _one_job(tmp_path: Path, printer: CountingPrinter) -> list[tuple[str, str]]:
    up = Uplink()
    journal = Journal(tmp_path / "jobs.sqlite3")
    seen = _commits(journal)
    runner = JobRunner(journal, {printer.id: printer}, up)
    run = make_job_run(job_id="j1", kind=JobKind.PRINT_RECEIPT, params=LINES)
    try:
        async with asyncio.TaskGroup() as tg:
            workers = tg.create_task(runner.run_workers())
            await runner.handle(CLOUD.envelope(MsgType.CMD, run))
            while (await up.next()).state in (AckState.ACCEPTED, AckState.RUNNING):
                pass
            workers.cancel()
        (after,) = journal._db.execute("PRAGMA synchronous").fetchone()
        seen.append(("after", str(after)))  # 2: FULL again for whatever comes next
    finally:
        journal.close()
    return seen


def _modes(seen: list[tuple[str, str]]) -> list[str]:
    return [mode for mode, _ in seen]


async def test_only_the_final_state_of_a_job_that_ran_skips_the_fsync(tmp_path: Path) -> None:
    seen = await _one_job(tmp_path, CountingPrinter())
    assert _modes(seen) == ["FULL", "FULL", "NORMAL", "after"]  # accepted, running, succeeded
    assert seen[-1] == ("after", "2")


async def test_a_job_refused_before_it_started_is_failed_durably(tmp_path: Path) -> None:
    seen = await _one_job(tmp_path, RefusingPrinter())
    assert _modes(seen) == ["FULL", "FULL", "after"]  # accepted, failed (over accepted)
