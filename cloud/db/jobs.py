"""Job storage: the one place job states change, so every change leaves an event and a notice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.models import Job, JobEvent, utcnow
from cloud.errors import NotFound
from cloud.hub import ChangeHub
from fleet.jobs import check_transition
from protocols.jobs import JobState

_CHANGES = "kf_job_changes"


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
    current = JobState(job.state)
    check_transition(current, new)
    now = now or utcnow()
    session.add(
        JobEvent(
            job_id=job.id,
            at=now,
            from_state=current.value,
            to_state=new.value,
            attempt=job.attempts,
            device_id=device_id or job.assigned_device_id,
            source=source,
            reason=reason[:64],
            message=message[:1024],
        )
    )
    job.state = new.value
    job.updated_at = now
    job.reason = reason[:64]
    job.message = message[:1024]
    changes: list[tuple[str, str]] = session.info.setdefault(_CHANGES, [])
    changes.append((job.id, new.value))


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
    session.info.setdefault(_CHANGES, []).append((job.id, job.state))


async def commit(session: AsyncSession, hub: ChangeHub) -> None:
    """Commit, then tell waiters about the job states that changed."""
    await session.commit()
    for job_id, state in session.info.pop(_CHANGES, []):
        hub.publish(f"job:{job_id}", state)
        hub.publish("jobs", job_id)


def discard_changes(session: AsyncSession) -> None:
    session.info.pop(_CHANGES, None)


async def load(session: AsyncSession, job_id: str, *, for_update: bool = False) -> Job | None:
    stmt = select(Job).where(Job.id == job_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def require(session: AsyncSession, job_id: str, *, for_update: bool = False) -> Job:
    job = await load(session, job_id, for_update=for_update)
    if job is None:
        raise NotFound(f"job {job_id!r} does not exist; list jobs with GET /api/v1/jobs")
    return job


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
