"""The job journal: what this device has accepted and how far each job got (SQLite, WAL).

At-most-once per job id rests on two rules: a job is written here *before* its ``accepted``
ack goes out, and its state becomes ``running`` (durably, ``synchronous=FULL``) *before* the
first byte reaches the printer. So after a crash or power cut a job found ``running`` may
have printed → it is reported ``uncertain``, never re-run.

Calls are synchronous and short (one small row); the agent runs them on the event loop.

A full disk (or any SQLite error) must not crash the agent nor lose an outcome: writes that
guard a side effect (``put`` before ``accepted``, ``update(..., must_persist=True)`` before the
first byte) raise :class:`JournalError`, so the job is refused or failed *before* anything
happens; every other write that fails is kept in memory (an overlay that ``get`` reads
through), so duplicates are still answered right until the agent restarts.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_agent.errors import AgentError
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
    updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
"""
#: columns added after the first release: (name, declaration), added to older files on open
_ADDED_COLUMNS = (("confirm_by", "INTEGER"),)
_COLUMNS = "job_id, attempt, cmd_id, kind, peripheral, params, exp, last_ack, confirm_by"

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
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
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

    def close(self) -> None:
        self._db.close()

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

    def update(self, job_id: str, ack: AckBody, *, must_persist: bool = False) -> None:
        """Record the job's newest ack (and with it, its state); see :meth:`put` for
        ``must_persist``."""
        try:
            self._db.execute(
                "UPDATE jobs SET state = ?, last_ack = ?, updated_ms = ? WHERE job_id = ?",
                (ack.state.value, ack.model_dump_json(), _now_ms(), job_id),
            )
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


def _marks(values: tuple[str, ...]) -> str:
    return ", ".join("?" for _ in values)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
