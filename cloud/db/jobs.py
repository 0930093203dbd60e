"""Job storage: the one place job states change, so every change leaves an event and a notice.

Every transition, through the ORM (:func:`transition`) or Core statements (the ack group
commit), is planned by :func:`fleet.jobs.plan_transition` and recorded by
:func:`event_values`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from cloud.db.models import Job, JobEvent, utcnow
from cloud.errors import NotFound
from cloud.hub import ChangeHub
from fleet.jobs import Transition, plan_transition
from protocols.jobs import JobState

_CHANGES = "kf_job_changes"


def event_values(
    job_id: str,
    t: Transition,
    *,
    attempt: int,
    device_id: str | None,
    source: str,
    now: datetime,
) -> dict[str, Any]:
    """The ``job_events`` row of one transition."""
    return {
        "job_id": job_id,
        "at": now,
        "from_state": t.from_state.value,
        "to_state": t.to_state.value,
        "attempt": attempt,
        "device_id": device_id,
        "source": source,
        "reason": t.reason,
        "message": t.message,
    }


def job_values(t: Transition, now: datetime) -> dict[str, Any]:
    """The job columns one transition sets."""
    return {"state": t.to_state.value, "updated_at": now, "reason": t.reason, "message": t.message}


def transition(
    session: AsyncSession,
    job: Job,
    new: JobState,
    *,
    source: str,
    reason: str = "",
    message: str = "",
    device_id: str | None = None,
    now: datetime | None = None,
) -> None:
    """Move ``job`` to ``new`` (raises ``IllegalTransition``), recording an event.

    The hub is told after the commit (see :func:`commit`), never about rolled-back changes.
    """
    t = plan_transition(JobState(job.state), new, reason, message)
    now = now or utcnow()
    device = device_id or job.assigned_device_id
    session.add(
        JobEvent(
            **event_values(
                job.id, t, attempt=job.attempts, device_id=device, source=source, now=now
            )
        )
    )
    for column, value in job_values(t, now).items():
        setattr(job, column, value)
    note_change(session, job.id, new.value)


def note_change(session: AsyncSession, job_id: str, state: str) -> None:
    """Remember a state change to announce once the session commits."""
    changes: list[tuple[str, str]] = session.info.setdefault(_CHANGES, [])
    changes.append((job_id, state))


def created(session: AsyncSession, job: Job, source: str) -> None:
    """Record the birth of a job (its first event, ``None → queued``)."""
    session.add(
        JobEvent(
            job_id=job.id,
            at=job.created_at,
            from_state=None,
            to_state=job.state,
            attempt=0,
            device_id=job.target_device_id,
            source=source,
            # the columns every transition sets too, so one flush inserts both in one statement
            reason="",
            message="",
        )
    )
    note_change(session, job.id, job.state)


def announce(hub: ChangeHub, job_id: str, state: str) -> None:
    hub.publish(f"job:{job_id}", state)
    hub.publish("jobs", job_id)


async def commit(session: AsyncSession, hub: ChangeHub) -> None:
    """Commit, then tell waiters about the job states that changed."""
    await session.commit()
    for job_id, state in session.info.pop(_CHANGES, []):
        announce(hub, job_id, state)


def discard_changes(session: AsyncSession) -> None:
    session.info.pop(_CHANGES, None)


async def try_commit(session: AsyncSession, hub: ChangeHub) -> bool:
    """Commit job changes; False if another writer changed a job first (retried later)."""
    try:
        await commit(session, hub)
    except StaleDataError:
        await session.rollback()
        discard_changes(session)
        return False
    return True


#: built once, so each read skips building the statement and its cache key (issue 17: the
#: long-poll reads a job twice)
_LOAD = select(Job).where(Job.id == bindparam("job_id"))
_LOAD_LOCKED = _LOAD.with_for_update()


#: the whole row as Core reads it: the long-poll's two reads skip the ORM's session, identity
#: map and instance loading (issue 17); its attributes are the model's
_ROW = select(*cast(Table, Job.__table__).c).where(Job.id == bindparam("job_id"))


async def require_row(conn: AsyncConnection, job_id: str) -> Row[Any]:
    """The job's row (read only: nothing of it is written back), or the 404 of an unknown job."""
    row = (await conn.execute(_ROW, {"job_id": job_id})).first()
    if row is None:
        raise not_found(job_id)
    return row


async def load(session: AsyncSession, job_id: str, *, for_update: bool = False) -> Job | None:
    stmt = _LOAD_LOCKED if for_update else _LOAD
    return (await session.execute(stmt, {"job_id": job_id})).scalar_one_or_none()


async def require(session: AsyncSession, job_id: str, *, for_update: bool = False) -> Job:
    job = await load(session, job_id, for_update=for_update)
    if job is None:
        raise not_found(job_id)
    return job


def not_found(job_id: str) -> NotFound:
    """The 404 of an unknown job — and of one outside the caller's scope (the same words)."""
    return NotFound(f"job {job_id!r} does not exist; list jobs with GET /api/v1/jobs")


async def state_of(session: AsyncSession, job_id: str) -> JobState | None:
    state = await session.scalar(select(Job.state).where(Job.id == job_id))
    return JobState(state) if state is not None else None


async def by_idempotency_key(session: AsyncSession, key: str) -> Job | None:
    return await session.scalar(select(Job).where(Job.idempotency_key == key))


async def events(session: AsyncSession, job_id: str) -> list[dict[str, Any]]:
    stmt = select(JobEvent).where(JobEvent.job_id == job_id).order_by(JobEvent.id)
    rows = (await session.scalars(stmt)).all()
    return [
        {
            "at": e.at,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "attempt": e.attempt,
            "device_id": e.device_id,
            "source": e.source,
            "reason": e.reason,
            "message": e.message,
        }
        for e in rows
    ]
