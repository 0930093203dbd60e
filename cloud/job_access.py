"""Who may see and change which job: the caller's site subtree, and the audit rows of job
changes (written in the change's own transaction, so both commit or neither does).

A job outside the caller's scope is answered exactly like a job that does not exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from cloud import audit
from cloud.auth.principal import Principal
from cloud.db import jobs as job_repo
from cloud.db import sites as site_repo
from cloud.db.models import Job
from cloud.errors import CloudError

#: a job as the ORM loads it, or its row as Core reads it (the long-poll's)
JobLike = Job | Row[Any]


async def job_site(s: AsyncSession | AsyncConnection, job: JobLike) -> str:
    """The path of the site the job belongs to."""
    return (await site_repo.paths(s, {job.site_id})).get(job.site_id, "")


async def require_visible(
    s: AsyncSession | AsyncConnection, job: JobLike, caller: Principal
) -> str:
    """The job's site path; a 404 (the words of an unknown job) outside the caller's scope."""
    path = await job_site(s, job)
    if not caller.sees(path):
        raise job_repo.not_found(job.id)
    return path


def record(
    s: AsyncSession,
    caller: Principal,
    action: str,
    job: Job,
    site: str,
    message: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Add the ``ok`` audit row of ``action`` on ``job`` to the session's transaction."""
    audit.add(
        s,
        audit.AuditRecord(
            actor=caller.actor,
            action=action,
            result=audit.Result.OK,
            target=f"job:{job.id}",
            site=site,
            ip=caller.ip,
            message=message,
            detail={"kind": job.kind, **(detail or {})},
        ),
    )


async def record_failure(
    sessions: async_sessionmaker[AsyncSession],
    caller: Principal,
    action: str,
    target: str,
    err: CloudError,
) -> None:
    """The ``failed`` row of an allowed change that did not happen (unknown or out-of-scope
    target, a job in the wrong state, no device able to run it), in its own transaction:
    the change's was rolled back. Its message is the answer the caller got."""
    await audit.write(
        sessions,
        audit.AuditRecord(
            actor=caller.actor,
            action=action,
            result=audit.Result.FAILED,
            target=target,
            ip=caller.ip,
            message=str(err),
            detail={"status": err.status_code},
        ),
    )
