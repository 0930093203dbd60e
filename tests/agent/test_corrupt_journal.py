"""A corrupt job journal (garbage, truncated, one page destroyed): the agent starts, the file
is set aside as ``jobs.sqlite3.corrupt-<time>`` with a WARNING naming it, and at-most-once
holds for every job whose record can still be found — a finished job sent again is answered
with its outcome, not printed again; one left running is reported uncertain. It used to
crash the agent at startup ("file is not a database")."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

import pytest

from edge_agent.jobs.journal import JobRecord, Journal
from edge_agent.jobs.runner import JobRunner
from protocols.envelope import MsgType, Sender
from protocols.jobs import AckState, JobKind
from protocols.messages import AckBody, make_job_run

from .test_movable_jobs import LINES, CountingPrinter, Uplink

CLOUD = Sender("cloud")
PAGE = 4096
JOBS = 60


def _fill(path: Path) -> None:
    """A journal of ``JOBS`` jobs (~500 bytes each, so they span many pages): the odd ones
    succeeded, the even ones still running."""
    journal = Journal(path)
    for i in range(JOBS):
        state = AckState.SUCCEEDED if i % 2 else AckState.RUNNING
        ack = AckBody(job_id=f"job-{i:03d}", state=state, result={"bytes": 100 + i})
        journal.put(
            JobRecord(f"job-{i:03d}", 1, f"cmd-{i}", "print_receipt", "receipt",
                      '{"pad": "' + "x" * 400 + '"}', None, ack)
        )  # fmt: skip
    journal.close()


def _destroy_page_of(path: Path, job_id: str) -> set[str]:
    """Overwrite the page holding ``job_id``'s row with random bytes; returns the ids whose
    acks were on it (lost for good)."""
    data = path.read_bytes()
    page = data.index(f'"job_id":"{job_id}"'.encode()) // PAGE
    assert page > 0  # never the header page: SQLite must still recognise the file
    lost = {f"job-{i:03d}" for i in range(JOBS)
            if data.find(f'"job_id":"job-{i:03d}"'.encode()) // PAGE == page}  # fmt: skip
    with open(path, "r+b") as fh:
        fh.seek(page * PAGE)
        fh.write(os.urandom(PAGE))
    return lost


def _aside(path: Path) -> Path:
    companions = ("-wal", "-shm", "-journal")
    [aside] = [p for p in path.parent.glob(f"{path.name}.corrupt-*") if
               not p.name.endswith(companions)]  # fmt: skip
    return aside


@pytest.mark.parametrize("damage", ["garbage", "text", "truncated"])
def test_a_corrupt_journal_is_set_aside_with_a_warning(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "jobs.sqlite3"
    _fill(path)
    if damage == "garbage":
        path.write_bytes(os.urandom(3 * PAGE))
    elif damage == "text":
        path.write_bytes(b"this is not a database\n" * 100)
    else:
        path.write_bytes(path.read_bytes()[: PAGE + 100])
    bad = path.read_bytes()
    with caplog.at_level(logging.WARNING, logger="edge_agent.jobs.journal"):
        journal = Journal(path)
    assert journal.recovery is not None
    aside = _aside(path)
    assert aside.read_bytes() == bad  # kept for an engineer, byte for byte
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert str(aside) in warning.getMessage() and "corrupt" in warning.getMessage()
    # the new journal works and is the one found at the next start
    journal.put(JobRecord("new", 1, "c", "print_receipt", None, "{}", None,
                          AckBody(job_id="new", state=AckState.ACCEPTED)))  # fmt: skip
    journal.close()
    again = Journal(path)
    assert again.recovery is None and again.get("new") is not None
    again.close()


async def test_what_survives_a_destroyed_page_is_never_run_twice(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    _fill(path)
    lost = _destroy_page_of(path, "job-031")
    journal = Journal(path)
    assert journal.recovery is not None
    known = {f"job-{i:03d}" for i in range(JOBS) if journal.get(f"job-{i:03d}") is not None}
    assert known == {f"job-{i:03d}" for i in range(JOBS)} - lost
    assert 0 < len(lost) < 15
    assert journal.rescued > 0  # found in the raw bytes, beyond what SQLite could read
    printer, up = CountingPrinter(), Uplink()
    runner = JobRunner(journal, {printer.id: printer}, up)
    await runner.recover()
    running = sorted({f"job-{i:03d}" for i in range(0, JOBS, 2)} - lost)
    uncertain = [await up.next() for _ in running]
    assert sorted(a.job_id for a in uncertain) == sorted(running)
    assert {a.state for a in uncertain} == {AckState.UNCERTAIN}
    for job_id in ("job-001", "job-059", "job-000"):  # sent again by the cloud
        if job_id in lost:
            continue
        run = make_job_run(job_id=job_id, kind=JobKind.PRINT_RECEIPT, params=LINES)
        await runner.handle(CLOUD.envelope(MsgType.CMD, run))
        answer = await up.next()
        assert answer.job_id == job_id
        assert answer.state is (AckState.SUCCEEDED if job_id != "job-000" else AckState.UNCERTAIN)
    assert printer.printed == []
    journal.close()


def test_an_error_that_is_not_corruption_is_raised_and_moves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    path.mkdir()  # e.g. a wrong data_dir: not the journal's fault, nothing to set aside
    with pytest.raises(sqlite3.OperationalError):
        Journal(path)
    assert path.is_dir() and list(tmp_path.glob("*.corrupt-*")) == []


def test_a_damaged_index_is_found_at_open_and_every_job_kept(tmp_path: Path) -> None:
    """Only the ``state`` index is broken: SQLite opens the file and reads the table, and
    would fail later, in the middle of the startup recovery. The check at open finds it."""
    path = tmp_path / "jobs.sqlite3"
    _fill(path)
    db = sqlite3.connect(path)
    [(root,)] = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'jobs_state'")
    db.close()
    with open(path, "r+b") as fh:
        fh.seek((root - 1) * PAGE)
        fh.write(b"\x0d" + os.urandom(PAGE - 1))  # still claims to be a leaf page
    journal = Journal(path)
    assert journal.recovery is not None and journal.recovery.salvaged == JOBS
    assert len(journal.in_state(AckState.RUNNING)) == JOBS // 2
    journal.close()
