"""The job journal: what this device has accepted and how far each job got (SQLite, WAL).

At-most-once per job id rests on two rules: a job is written here *before* its ``accepted``
ack goes out, and its state becomes ``running`` (durably, ``synchronous=FULL``) *before* the
first byte reaches the printer. So after a crash or power cut a job found ``running`` may
have printed → it is reported ``uncertain``, never re-run.

Calls are synchronous and short (one small row); the agent runs them on the event loop.

Each state change of a job costs one fsync here and one in the outbox (its ack), and issue
17 asked whether the two could share one. Not as the files stand: they are two SQLite
databases, and SQLite commits ATTACHed WAL databases one file at a time (a crash may keep one
and lose the other), so one transaction would still be two fsyncs, and merging the files
would change the data directory an upgrade keeps. Nor may either be dropped: ``accepted`` and
``running`` here are the two rules above; a ``succeeded`` lost here in a power cut makes the
restarted agent report ``uncertain`` a job the cloud may already have been told succeeded;
the outbox's copy is what reaches the cloud. What the journal may do is let that last write
wait for the disk (issue 17, three fsyncs per job → two): a final state written over a
durable ``running`` commits with ``synchronous=NORMAL`` (:meth:`Journal.update` ``lazy``),
and the next job's ``running`` fsync makes it durable with everything before it in the WAL.

A full disk (or any SQLite error) must not crash the agent nor lose an outcome: writes that
guard a side effect (``put`` before ``accepted``, ``update(..., must_persist=True)`` before the
first byte) raise :class:`JournalError`, so the job is refused or failed *before* anything
happens; every other write that fails is kept in memory (an overlay that ``get`` reads
through), so duplicates are still answered right until the agent restarts.

A journal file SQLite finds corrupt is not a reason to stop the kiosk, nor to start over
silently: the rows that can still be read are kept, the file is set aside as
``jobs.sqlite3.corrupt-<time>`` and a WARNING says what may have been forgotten
(:mod:`edge_agent.state_db`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_agent.errors import AgentError
from edge_agent.jobs.journal_salvage import is_final, scan_acks
from edge_agent.state_db import Recovery, open_db, read_rows
from protocols.jobs import AckState
from protocols.messages import AckBody

log = logging.getLogger(__name__)

#: terminal jobs older than this are forgotten at startup (the cloud's TTLs are far shorter)
RETENTION_MS = 30 * 24 * 3600 * 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id     TEXT PRIMARY KEY,
    attempt    INTEGER NOT NULL,
    state      TEXT NOT NULL,
    cmd_id     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    peripheral TEXT,
    params     TEXT NOT NULL,
    exp        INTEGER,
    last_ack   TEXT NOT NULL,
    updated_ms INTEGER NOT NULL,
    confirm_by INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
"""
#: columns added after the first release: (name, declaration), added to older files on open
_ADDED_COLUMNS = (("confirm_by", "INTEGER"),)
_COLUMNS = "job_id, attempt, cmd_id, kind, peripheral, params, exp, last_ack, confirm_by"
#: every column, in table order (older files lack the last ones)
_ALL = "job_id, attempt, state, cmd_id, kind, peripheral, params, exp, last_ack, updated_ms, "
_ALL += "confirm_by"

_ACTIVE = (AckState.ACCEPTED.value, AckState.RUNNING.value)


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One job as journaled; ``last_ack`` is what a duplicate command gets back."""

    job_id: str
    attempt: int
    cmd_id: str  # message id of the command that started this attempt
    kind: str
    peripheral: str | None
    params: str  # the validated parameters, JSON
    exp: int | None
    last_ack: AckBody
    #: a movable job (protocol §7) may start only after the broker took its ``accepted`` ack;
    #: until then this is the wall-ms deadline for that, and None once confirmed (or if the
    #: job is not movable)
    confirm_by: int | None = None

    @property
    def state(self) -> AckState:
        return self.last_ack.state


class JournalError(AgentError):
    """The journal could not record a job (disk full, I/O error): the job must not proceed."""


class Journal:
    """A small SQLite file in the agent's data directory."""

    def __init__(self, path: Path) -> None:
        self._db, self.recovery = open_db(path, _SCHEMA, _salvage, _restore)
        self.path = path
        #: writes that failed, kept so ``get`` still answers right (lost at restart)
        self._overlay: dict[str, JobRecord] = {}
        self.failed_writes = 0
        have = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
        for name, decl in _ADDED_COLUMNS:
            if name not in have:
                self._db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {decl}")
        cutoff = _now_ms() - RETENTION_MS
        self._db.execute(
            f"DELETE FROM jobs WHERE updated_ms < ? AND state NOT IN ({_marks(_ACTIVE)})",
            (cutoff, *_ACTIVE),
        )
        #: jobs restored from the raw bytes of a corrupt journal (``journal_salvage``)
        self.rescued = 0
        if self.recovery is not None:
            self.rescued = self._rescue(scan_acks(self.recovery.aside))
            _warn_recovered(path, self.recovery, self.rescued)

    def close(self) -> None:
        self._db.close()

    def _rescue(self, acks: dict[str, AckBody]) -> int:
        """Record the jobs found only in the raw bytes; returns how many."""
        rescued = 0
        for job_id, ack in acks.items():
            if self.get(job_id) is not None:
                continue  # read whole by SQLite: that row is better
            if not is_final(ack):  # reported uncertain by the runner's recovery
                ack = AckBody(job_id=job_id, state=AckState.RUNNING, attempt=ack.attempt)
            record = JobRecord(job_id, ack.attempt, "", "unknown", None, "{}", None, ack)
            self.put(record, must_persist=False)
            rescued += 1
        return rescued

    def get(self, job_id: str) -> JobRecord | None:
        kept = self._overlay.get(job_id)
        if kept is not None:
            return kept
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
        return _record(row) if row else None

    def put(self, record: JobRecord, *, must_persist: bool = True) -> None:
        """Insert or replace a job (a new attempt replaces the old one); with
        ``must_persist`` a failure raises :class:`JournalError`, else it is kept in memory."""
        try:
            self._put(record)
        except sqlite3.Error as err:
            self._failed("record job", record.job_id, err, must_persist)
            self._overlay[record.job_id] = record
        else:
            self._overlay.pop(record.job_id, None)

    def _failed(self, what: str, job_id: str, err: sqlite3.Error, must_persist: bool) -> None:
        self.failed_writes += 1
        message = (
            f"the job journal {self.path} cannot {what} {job_id} ({err}); free space on the "
            "device's disk"
        )
        if must_persist:
            raise JournalError(message) from err
        log.error("%s — kept in memory until the agent restarts", message)

    def _put(self, record: JobRecord) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO jobs (job_id, attempt, state, cmd_id, kind, peripheral, "
            "params, exp, last_ack, updated_ms, confirm_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.job_id,
                record.attempt,
                record.state.value,
                record.cmd_id,
                record.kind,
                record.peripheral,
                record.params,
                record.exp,
                record.last_ack.model_dump_json(),
                _now_ms(),
                record.confirm_by,
            ),
        )

    def confirm(self, job_id: str) -> None:
        """The broker took this movable job's ``accepted`` ack in time: it may start.

        Not recorded (disk full), the job still runs now; after a restart it counts as
        unconfirmed and is not run — the safe side."""
        kept = self._overlay.get(job_id)
        if kept is not None:
            self._overlay[job_id] = dataclasses.replace(kept, confirm_by=None)
        try:
            self._db.execute("UPDATE jobs SET confirm_by = NULL WHERE job_id = ?", (job_id,))
        except sqlite3.Error as err:
            self._failed("confirm job", job_id, err, must_persist=False)

    def update(
        self, job_id: str, ack: AckBody, *, must_persist: bool = False, lazy: bool = False
    ) -> None:
        """Record the job's newest ack (and with it, its state); see :meth:`put` for
        ``must_persist``. ``lazy``: commit without waiting for the disk (``synchronous=
        NORMAL``), for a final state that replaces a durable ``running`` only (the runner
        decides): it survives a crash of the
        agent at once, a power cut once the next full commit (the next job's ``running``)
        flushes the WAL; lost before that, the job reads ``running`` again and is reported
        ``uncertain``, never re-run, and the outbox's own copy of the final ack (fsynced) is
        what the cloud keeps (it ignores an ``uncertain`` after a final state)."""
        try:
            if lazy:
                self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                self._db.execute(
                    "UPDATE jobs SET state = ?, last_ack = ?, updated_ms = ? WHERE job_id = ?",
                    (ack.state.value, ack.model_dump_json(), _now_ms(), job_id),
                )
            finally:
                if lazy:
                    self._db.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as err:
            self._failed(f"record {ack.state.value} for job", job_id, err, must_persist)
            current = self.get(job_id)
            if current is not None:
                self._overlay[job_id] = dataclasses.replace(current, last_ack=ack)
            return
        kept = self._overlay.get(job_id)  # a job only the overlay knows stays there, updated
        if kept is not None:
            self._overlay[job_id] = dataclasses.replace(kept, last_ack=ack)

    def in_state(self, state: AckState) -> list[JobRecord]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE state = ? ORDER BY updated_ms, rowid",
            (state.value,),
        ).fetchall()
        return [_record(r) for r in rows]


def _salvage(db: sqlite3.Connection) -> list[tuple[Any, ...]]:
    return read_rows(db, "SELECT * FROM jobs")


def _restore(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    width = len(_ALL.split(","))
    for row in rows:
        full = (*row, *([None] * (width - len(row))))[:width]
        try:  # a damaged page can still give rows of garbage: keep only whole ones
            AckBody.model_validate_json(full[8])
        except ValueError:
            continue
        with contextlib.suppress(sqlite3.Error):
            db.execute(f"INSERT OR REPLACE INTO jobs ({_ALL}) VALUES ({_marks(full)})", full)


def _warn_recovered(path: Path, rec: Recovery, rescued: int) -> None:
    log.warning(
        "the job journal %s was corrupt (%s): moved it to %s and started a new one with the "
        "%d job(s) SQLite could still read and %d more whose last ack was found in its bytes "
        "(those not finished are reported uncertain). A job whose record was lost entirely "
        "would run again if the cloud sent it again — compare the printers' recent output "
        "with the cloud's running and uncertain jobs of this device",
        path,
        rec.why,
        rec.aside,
        rec.salvaged,
        rescued,
    )


def _record(row: tuple[Any, ...]) -> JobRecord:
    return JobRecord(
        job_id=row[0],
        attempt=row[1],
        cmd_id=row[2],
        kind=row[3],
        peripheral=row[4],
        params=row[5],
        exp=row[6],
        last_ack=AckBody.model_validate_json(row[7]),
        confirm_by=row[8],
    )


def _marks(values: tuple[Any, ...]) -> str:
    return ", ".join("?" for _ in values)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
