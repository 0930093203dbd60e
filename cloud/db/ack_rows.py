"""Core statements of the ack group commit: no ORM load and flush per ack (see ``cloud.acks``).

A job changed by another writer since it was read raises :class:`StaleDataError` through the
optimistic ``version`` column, as the ORM would.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm.exc import StaleDataError

from cloud.db.models import Job, JobEvent, ProcessedMessage
from cloud.db.sqlite_driver import DeferredWrites
from fleet.acks import AckedJob
from protocols.jobs import JobKind, JobState

_JOBS = cast(Table, Job.__table__)
_EVENTS = cast(Table, JobEvent.__table__)
_PROCESSED = cast(Table, ProcessedMessage.__table__)
_COLUMNS = tuple(
    _JOBS.c[name]
    for name in (
        "id",
        "state",
        "attempts",
        "max_attempts",
        "assigned_device_id",
        "version",
        "kind",
        "cancel_requested_at",
    )
)


class AckedRow:
    """A job as the acks of one group see it: its facts, version, and pending changes."""

    def __init__(self, row: Any) -> None:
        self.version: int = row.version
        self.job = AckedJob(
            id=row.id,
            state=JobState(row.state),
            attempt=row.attempts,
            max_attempts=row.max_attempts,
            assigned_device_id=row.assigned_device_id,
            kind=JobKind(row.kind),
            cancel_requested=row.cancel_requested_at is not None,
        )
        self.changes: dict[str, Any] = {}


#: built once, so each execution skips building the statement and its cache key (issue 17)
_LOAD = select(*_COLUMNS).where(_JOBS.c.id.in_(bindparam("ids", expanding=True)))
_LOAD_LOCKED = _LOAD.order_by(_JOBS.c.id).with_for_update()
#: the SET clause is the changed columns named in each execution's parameters
_UPDATE = _JOBS.update().where(
    _JOBS.c.id == bindparam("read_id"), _JOBS.c.version == bindparam("read_version")
)


async def load(conn: AsyncConnection, job_ids: Iterable[str]) -> dict[str, AckedRow]:
    """The jobs ``job_ids`` (locked on PostgreSQL, in id order so groups never deadlock)."""
    stmt = _LOAD if conn.dialect.name == "sqlite" else _LOAD_LOCKED
    rows = await conn.execute(stmt, {"ids": sorted(set(job_ids))})
    return {row.id: AckedRow(row) for row in rows}


async def save(
    conn: AsyncConnection,
    rows: Iterable[AckedRow],
    processed: Sequence[dict[str, Any]],
    events: Sequence[dict[str, Any]],
    batch: DeferredWrites | None = None,
) -> None:
    """Insert the processed ids and events, then update each changed job if unchanged since.

    A message id handled before fails the ``processed_messages`` insert (primary key). With
    a ``batch`` (SQLite) the statements run at the commit, which raises those errors and the
    :class:`StaleDataError` of a job changed since it was read.
    """
    if processed:
        await conn.execute(_PROCESSED.insert(), list(processed))
    if events:
        await conn.execute(_EVENTS.insert(), list(events))
    for row in rows:
        if not row.changes:
            continue
        params = {**row.changes, "version": row.version + 1}
        if batch is not None:
            batch.expect_one_row = True  # checked on the database's thread, at the commit
        result = await conn.execute(
            _UPDATE, params | {"read_id": row.job.id, "read_version": row.version}
        )
        if batch is None and result.rowcount != 1:
            raise StaleDataError(f"job {row.job.id} changed since it was read")
