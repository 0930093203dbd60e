"""``/api/v1/jobs``: submit, watch (long-poll), list, cancel and resolve jobs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.api.audit import IsoTime
from cloud.api.audit import _utc as utc_clamped
from cloud.api.auth_deps import scope_of
from cloud.api.callers import JobsReader, JobsWriter
from cloud.api.deps import DeviceQuery, JobPathId, JobServiceDep, SessionsDep, SiteQuery
from cloud.api.errors import error_responses
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.errors import CloudError
from cloud.job_access import record_failure
from cloud.schemas import DeviceTarget, JobCreate, JobEventOut, JobOut, JobPage, ResolveIn
from protocols.jobs import JobKind, JobState

router = APIRouter(
    prefix="/api/v1/jobs",
    tags=["jobs"],
    responses=error_responses(401, 403, 422, 500),
    route_class=StrictJsonRoute,
)

#: Longest long-poll; clients loop for longer waits.
MAX_WAIT_S = 60.0
#: Deepest page offset (fits every database's integer).
MAX_OFFSET = 2**31 - 1


@asynccontextmanager
async def audited(
    sessions: async_sessionmaker[AsyncSession], caller: Principal, action: str, target: str
) -> AsyncIterator[None]:
    """Write the ``failed`` audit row of ``action`` if the body raises a cloud error (the
    ``ok`` row commits with the change itself, in the service)."""
    try:
        yield
    except CloudError as err:
        await record_failure(sessions, caller, action, target, err)
        raise


_NO_JOB = error_responses(described={404: "no such job (or outside your scope)"})
_WAIT = error_responses(
    described={
        404: "no such job (or outside your scope)",
        429: "too many long-polls open at once: ask again after Retry-After seconds, or "
        "without wait_s",
    }
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=JobOut,
    responses={
        200: {"description": "replay of an idempotency key: the existing job"},
        **error_responses(
            400,
            413,
            described={
                404: "the target device or site (or it is outside your scope), or the "
                "document's blob, does not exist",
                409: "the idempotency key was used with another body, or no device can run it",
                429: "the cloud is beyond what it can take now (too many submissions in "
                "progress, or device messages not yet handled): nothing was stored; send the "
                "same request again after Retry-After seconds",
                503: "the cloud is not connected to the broker",
            },
        ),
    },
)
async def create_job(
    body: JobCreate,
    caller: JobsWriter,
    jobs: JobServiceDep,
    sessions: SessionsDep,
    response: Response,
) -> JobOut:
    """Submit a job. It is dispatched at once when its device is online, else it waits
    (queued) until a device can take it or its TTL passes. A target that has no device
    with the capability the kind needs is refused (409); one outside your scope is 404."""
    target = (
        f"device:{body.target.device_id}"
        if isinstance(body.target, DeviceTarget)
        else f"site:{body.target.site}"
    )
    # outside ``audited``: a refusal under overload writes nothing (it did nothing either)
    with jobs.intake.submission():
        async with audited(sessions, caller, "job.create", target):
            job, created = await jobs.create(body, caller)
    if not created:
        response.status_code = status.HTTP_200_OK
    return job


@router.get("", response_model=JobPage)
async def list_jobs(
    caller: JobsReader,
    jobs: JobServiceDep,
    state: JobState | None = None,
    device: DeviceQuery = None,
    site: SiteQuery = None,
    kind: JobKind | None = None,
    since: Annotated[
        IsoTime | None,
        Query(alias="from", description="created at or after (ISO 8601 with a zone)"),
    ] = None,
    until: Annotated[
        IsoTime | None, Query(alias="to", description="created before (ISO 8601 with a zone)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JobPage:
    """The jobs of your scope, newest first."""
    items, total = await jobs.list_jobs(
        state=state,
        device=device,
        site=site,
        kind=kind,
        since=utc_clamped(since),
        until=utc_clamped(until),
        limit=limit,
        offset=offset,
        scope=scope_of(caller),
    )
    return JobPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{job_id}", response_model=JobOut, responses=_WAIT)
async def get_job(
    job_id: JobPathId,
    caller: JobsReader,
    jobs: JobServiceDep,
    wait_s: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_WAIT_S,
            allow_inf_nan=False,
            description="wait up to this long for the job to finish or become uncertain",
        ),
    ] = 0,
) -> JobOut:
    if wait_s <= 0:
        return await jobs.get(job_id, caller)
    with jobs.intake.wait():
        return await jobs.get(job_id, caller, wait_s)


@router.get("/{job_id}/events", response_model=list[JobEventOut], responses=_NO_JOB)
async def job_events(
    job_id: JobPathId, caller: JobsReader, jobs: JobServiceDep
) -> list[JobEventOut]:
    """Every state change of the job, oldest first, with reason and source."""
    return [JobEventOut.model_validate(e) for e in await jobs.events(job_id, caller)]


@router.post(
    "/{job_id}/cancel",
    response_model=JobOut,
    responses={
        202: {"description": "the device may hold the job: it was asked to cancel"},
        **error_responses(
            described={
                404: "no such job (or outside your scope)",
                409: "the job has ended or is running",
                503: "the cloud is not connected to the broker",
            }
        ),
    },
)
async def cancel_job(
    job_id: JobPathId,
    caller: JobsWriter,
    jobs: JobServiceDep,
    sessions: SessionsDep,
    response: Response,
) -> JobOut:
    """Cancel a job that is not running yet. A queued (or uncertain) job is canceled at
    once (200). A dispatched or accepted one may already be on its device: the device is
    asked, ``cancel_requested_at`` is set and the answer is 202; the job ends ``canceled``
    only if the device confirms it had not started, else it takes the device's outcome."""
    async with audited(sessions, caller, "job.cancel", f"job:{job_id}"):
        job, pending = await jobs.cancel(job_id, caller)
    if pending:
        response.status_code = status.HTTP_202_ACCEPTED
    return job


@router.post(
    "/{job_id}/resolve",
    response_model=JobOut,
    responses=error_responses(
        400,
        413,
        described={404: "no such job (or outside your scope)", 409: "the job is not uncertain"},
    ),
)
async def resolve_job(
    job_id: JobPathId,
    body: ResolveIn,
    caller: JobsWriter,
    jobs: JobServiceDep,
    sessions: SessionsDep,
) -> JobOut:
    """Decide an uncertain job: ``reprint`` (run it again), ``done`` or ``fail``."""
    async with audited(sessions, caller, "job.resolve", f"job:{job_id}"):
        job = await jobs.resolve(job_id, caller, body.action, body.message)
    return job
