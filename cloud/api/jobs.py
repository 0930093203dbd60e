"""``/api/v1/jobs``: submit, watch (long-poll), list, cancel and resolve jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from cloud import jobs as job_service
from cloud.api.deps import CloudDep
from cloud.api.errors import error_responses
from cloud.api.strict_json import StrictJsonRoute
from cloud.db import jobs as job_repo
from cloud.schemas import JobCreate, JobEventOut, JobOut, JobPage, ResolveIn
from protocols.jobs import JobKind, JobState

router = APIRouter(
    prefix="/api/v1/jobs",
    tags=["jobs"],
    responses=error_responses(422, 500),
    route_class=StrictJsonRoute,
)

#: Longest long-poll; clients loop for longer waits.
MAX_WAIT_S = 60.0
#: Deepest page offset (fits every database's integer).
MAX_OFFSET = 2**31 - 1
_NO_JOB = error_responses(described={404: "no such job"})


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
                404: "the target device or site does not exist",
                409: "the idempotency key was used with another body, or no device can run it",
                503: "the cloud is not connected to the broker",
            },
        ),
    },
)
async def create_job(body: JobCreate, cloud: CloudDep, response: Response) -> JobOut:
    """Submit a job. It is dispatched at once when its device is online, else it waits
    (queued) until a device can take it or its TTL passes."""
    job, created = await job_service.create(cloud, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    async with cloud.sessions() as s:
        return (await job_service.to_out(s, [job]))[0]


@router.get("", response_model=JobPage)
async def list_jobs(
    cloud: CloudDep,
    state: JobState | None = None,
    device: Annotated[str | None, Query(max_length=64)] = None,
    site: Annotated[
        str | None, Query(max_length=200, description="site path; includes its subtree")
    ] = None,
    kind: JobKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JobPage:
    """Newest first."""
    items, total = await job_service.list_jobs(
        cloud, state=state, device=device, site=site, kind=kind, limit=limit, offset=offset
    )
    return JobPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{job_id}", response_model=JobOut, responses=_NO_JOB)
async def get_job(
    job_id: str,
    cloud: CloudDep,
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
    return await job_service.get(cloud, job_id, wait_s)


@router.get("/{job_id}/events", response_model=list[JobEventOut], responses=_NO_JOB)
async def job_events(job_id: str, cloud: CloudDep) -> list[JobEventOut]:
    """Every state change of the job, oldest first, with reason and source."""
    async with cloud.sessions() as s:
        await job_repo.require(s, job_id)
        return [JobEventOut.model_validate(e) for e in await job_repo.events(s, job_id)]


@router.post(
    "/{job_id}/cancel",
    response_model=JobOut,
    responses=error_responses(
        described={
            404: "no such job",
            409: "the job has ended or is running",
            503: "the cloud is not connected to the broker",
        }
    ),
)
async def cancel_job(job_id: str, cloud: CloudDep) -> JobOut:
    """Cancel a job that is not running yet (queued, dispatched, accepted or uncertain)."""
    return await job_service.cancel(cloud, job_id)


@router.post(
    "/{job_id}/resolve",
    response_model=JobOut,
    responses=error_responses(
        400, 413, described={404: "no such job", 409: "the job is not uncertain"}
    ),
)
async def resolve_job(job_id: str, body: ResolveIn, cloud: CloudDep) -> JobOut:
    """Decide an uncertain job: ``reprint`` (run it again), ``done`` or ``fail``."""
    return await job_service.resolve(cloud, job_id, body.action, body.message)
