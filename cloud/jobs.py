"""Job operations behind the REST API: create (idempotent), read, wait, cancel, resolve."""

from __future__ import annotations

import hashlib
import json
import uuid
import weakref
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.blobs import BlobStore
from cloud.context import Cloud
from cloud.db import devices as device_repo
from cloud.db import jobs as job_repo
from cloud.db import sites as site_repo
from cloud.db.models import Job, Site, utcnow
from cloud.dispatcher import Outgoing
from cloud.errors import Conflict, Unprocessable
from cloud.schemas import DeviceTarget, JobCreate, JobOut, SiteTarget
from fleet.jobs import is_terminal
from protocols.jobs import (
    CAPABILITY_FOR_KIND,
    FETCH_KINDS,
    PARAMS_FOR_KIND,
    UPLOAD_KINDS,
    JobKind,
    JobState,
)

#: The parameter model of each job kind.
PARAMS_MODELS: dict[JobKind, type[BaseModel]] = PARAMS_FOR_KIND
#: States a long-poll returns on: the job is finished or waits for a person.
SETTLED = frozenset(
    {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED, JobState.EXPIRED, JobState.UNCERTAIN}
)


class ParamsInvalid(Unprocessable):
    """``params`` do not fit the kind; ``errors`` are in FastAPI's validation-error shape."""

    def __init__(self, kind: JobKind, err: ValidationError) -> None:
        raw = err.errors(include_url=False, include_context=False, include_input=False)
        self.errors: list[dict[str, Any]] = [
            {**e, "loc": ("body", "params", *e["loc"])} for e in raw
        ]
        fields = ", ".join(".".join(str(p) for p in ("params", *e["loc"])) for e in raw)
        super().__init__(f"params of a {kind.value} job are invalid at {fields}")


def validate_params(kind: JobKind, params: dict[str, Any]) -> dict[str, Any]:
    """The params with defaults filled in; raises :class:`ParamsInvalid` naming the field."""
    try:
        valid = PARAMS_MODELS[kind].model_validate(params).model_dump(mode="json")
    except ValidationError as err:
        raise ParamsInvalid(kind, err) from err
    if kind in UPLOAD_KINDS and valid.pop("uploads", None) is not None:
        raise Unprocessable(
            f"params.uploads of a {kind.value} job is filled in by the cloud when it sends "
            "the job; leave it out"
        )
    if kind in FETCH_KINDS and valid.pop("fetch", None) is not None:
        raise Unprocessable(
            f"params.fetch of a {kind.value} job is filled in by the cloud when it sends "
            "the job; leave it out"
        )
    return valid


def check_document(store: BlobStore, kind: JobKind, params: dict[str, Any]) -> None:
    """A ``print_document`` job must name a stored PDF: refuse it now, not at the kiosk."""
    if kind not in FETCH_KINDS:
        return
    sha256 = str(params["document"])
    if not store.exists(sha256):
        raise Unprocessable(
            f"params.document names blob {sha256}, which is not stored: upload the PDF first "
            f"(POST /api/v1/blobs/{sha256}/tokens with op=put, then PUT it)"
        )
    with store.open(sha256) as fh:
        head = fh.read(5)
    if head != b"%PDF-":
        raise Unprocessable(
            f"params.document names blob {sha256}, which is not a PDF (it does not start with "
            "%PDF-): an A4 printer job needs a PDF"
        )


def request_hash(req: JobCreate, params: dict[str, Any]) -> str:
    canon = req.model_dump(mode="json", exclude_none=True) | {"params": params}
    return hashlib.sha256(json.dumps(canon, sort_keys=True).encode()).hexdigest()


async def _by_key(s: AsyncSession, key: str) -> Job | None:
    return await s.scalar(select(Job).where(Job.idempotency_key == key))


def _replay(existing: Job, digest: str) -> Job:
    if existing.request_hash != digest:
        raise Conflict(
            f"idempotency key {existing.idempotency_key!r} was already used for job "
            f"{existing.id} with a different body; send the same body to get that job back, "
            "or use a new key for a new job"
        )
    return existing


async def create(cloud: Cloud, req: JobCreate) -> tuple[Job, bool]:
    """Store a job (``queued``) and dispatch it at once if a device can take it.

    Returns (job, created); a replay of an idempotency key returns the existing job.
    """
    params = validate_params(req.kind, req.params)
    store = BlobStore(cloud.settings.data_dir / "blobs", cloud.settings.blob_max_bytes)
    check_document(store, req.kind, params)
    digest = request_hash(req, params)
    settings = cloud.settings
    needed = CAPABILITY_FOR_KIND[req.kind]
    out: Outgoing | None = None
    async with cloud.sessions() as s:
        if req.idempotency_key and (existing := await _by_key(s, req.idempotency_key)):
            return _replay(existing, digest), False
        target_device_id: str | None = None
        target_site_id: int | None = None
        if isinstance(req.target, DeviceTarget):
            device = await device_repo.require(s, req.target.device_id)
            if not device_repo.has_capability(device, needed):
                raise Conflict(
                    f"device {device.id} has no peripheral with capability {needed}, which a "
                    f"{req.kind.value} job needs; send it to a device that has one, or to a "
                    f"site with {{'site': ..., 'capability': '{needed}'}}"
                )
            target_device_id, site_id = device.id, device.site_id
        else:
            assert isinstance(req.target, SiteTarget)
            if req.target.capability not in (None, needed):
                raise Unprocessable(
                    f"a {req.kind.value} job needs capability {needed.value!r}, not "
                    f"{req.target.capability!r}; leave capability out or set it to "
                    f"{needed.value!r}"
                )
            site = await site_repo.require(s, req.target.site)
            target_site_id = site_id = site.id
        now = utcnow()
        ttl_s = req.ttl_s or settings.job_ttl_s
        job = Job(
            id=uuid.uuid4().hex,
            idempotency_key=req.idempotency_key,
            request_hash=digest,
            kind=req.kind.value,
            target_device_id=target_device_id,
            target_site_id=target_site_id,
            capability=needed,
            site_id=site_id,
            state=JobState.QUEUED.value,
            params=params,
            attempts=0,
            max_attempts=req.max_attempts or settings.retry_max_attempts,
            ttl_s=ttl_s,
            expires_at=now + timedelta(seconds=ttl_s),
            sends=0,
            created_at=now,
            updated_at=now,
        )
        s.add(job)
        job_repo.created(s, job, "api")
        out = await cloud.dispatcher.prepare(s, job, now, "api")
        try:
            await job_repo.commit(s, cloud.hub)
        except IntegrityError:  # the same key committed by a concurrent request
            await s.rollback()
            job_repo.discard_changes(s)
            existing = await _by_key(s, req.idempotency_key or "")
            if existing is None:
                raise
            return _replay(existing, digest), False
    if out is not None:
        await cloud.dispatcher.send(out)
    return job, True


#: site id → path, per engine. A site's path never changes (sites are only added), so a path
#: once read stays right; this spares every job response a query.
_SITE_PATHS: weakref.WeakKeyDictionary[Engine, dict[int, str]] = weakref.WeakKeyDictionary()


async def site_paths(s: AsyncSession, ids: set[int]) -> dict[int, str]:
    """Paths of the sites ``ids`` (missing sites are left out), read once per process."""
    known = _SITE_PATHS.setdefault(s.get_bind().engine, {})
    missing = ids - known.keys()
    if missing:
        rows = await s.execute(select(Site.id, Site.path).where(Site.id.in_(missing)))
        known.update({site_id: path for site_id, path in rows.all()})
    return known


async def to_out(s: AsyncSession, jobs: Sequence[Job]) -> list[JobOut]:
    """Response models; site paths come from a per-process cache (one query on a miss)."""
    ids = {j.site_id for j in jobs} | {j.target_site_id for j in jobs if j.target_site_id}
    paths = await site_paths(s, ids)
    result = []
    for j in jobs:
        target: dict[str, Any] = (
            {"device_id": j.target_device_id}
            if j.target_device_id
            else {"site": paths.get(j.target_site_id or 0, ""), "capability": j.capability}
        )
        result.append(
            JobOut(
                id=j.id,
                kind=j.kind,
                state=JobState(j.state),
                target=target,
                device_id=j.assigned_device_id,
                site=paths.get(j.site_id, ""),
                params=j.params,
                attempts=j.attempts,
                max_attempts=j.max_attempts,
                ttl_s=j.ttl_s,
                expires_at=j.expires_at,
                next_attempt_at=j.next_attempt_at,
                reason=j.reason,
                message=j.message,
                result=j.result,
                idempotency_key=j.idempotency_key,
                created_at=j.created_at,
                updated_at=j.updated_at,
            )
        )
    return result


async def get(cloud: Cloud, job_id: str, wait_s: float = 0) -> JobOut:
    """The job; with ``wait_s`` return as soon as it settles (or when the wait is over)."""
    async with cloud.hub.subscribe(f"job:{job_id}") as sub:
        async with cloud.sessions() as s:
            job = await job_repo.require(s, job_id)
            if wait_s <= 0 or JobState(job.state) in SETTLED:
                return (await to_out(s, [job]))[0]
        # no session is held while waiting: SQLite has one connection for the whole process
        await sub.wait_for(lambda state: JobState(state) in SETTLED, wait_s)
    async with cloud.sessions() as s:
        job = await job_repo.require(s, job_id)
        return (await to_out(s, [job]))[0]


async def list_jobs(
    cloud: Cloud,
    *,
    state: JobState | None,
    device: str | None,
    site: str | None,
    kind: JobKind | None,
    limit: int,
    offset: int,
) -> tuple[list[JobOut], int]:
    stmt = select(Job)
    if state is not None:
        stmt = stmt.where(Job.state == state.value)
    if device:
        stmt = stmt.where(or_(Job.assigned_device_id == device, Job.target_device_id == device))
    if kind is not None:
        stmt = stmt.where(Job.kind == kind.value)
    if site:
        stmt = stmt.where(Job.site_id.in_(select(Site.id).where(site_repo.in_subtree(site))))
    async with cloud.sessions() as s:
        total = await s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = await s.scalars(stmt.order_by(Job.created_at.desc()).limit(limit).offset(offset))
        return await to_out(s, rows.all()), total


async def cancel(cloud: Cloud, job_id: str) -> JobOut:
    """Cancel a job that has not started its side effect (not running, not finished)."""
    async with cloud.sessions() as s:
        job = await job_repo.require(s, job_id, for_update=True)
        state = JobState(job.state)
        if state is JobState.RUNNING:
            raise Conflict(
                f"job {job_id} is running on {job.assigned_device_id}: its side effect has "
                "started, so it cannot be canceled; wait for it to finish"
            )
        if is_terminal(state):
            raise Conflict(f"job {job_id} is already {state.value}; there is nothing to cancel")
        tell = job.assigned_device_id if state in (JobState.DISPATCHED, JobState.ACCEPTED) else None
        job_repo.transition(
            s, job, JobState.CANCELED, source="api", reason="canceled", message="canceled via API"
        )
        await job_repo.commit(s, cloud.hub)
        result = (await to_out(s, [job]))[0]
    if tell:
        await cloud.dispatcher.send_cancel(tell, job_id)
    return result


async def resolve(cloud: Cloud, job_id: str, action: str, message: str = "") -> JobOut:
    """An operator settles an ``uncertain`` job: print again, or record it done or failed."""
    out: Outgoing | None = None
    async with cloud.sessions() as s:
        job = await job_repo.require(s, job_id, for_update=True)
        if job.state != JobState.UNCERTAIN:
            raise Conflict(
                f"job {job_id} is {job.state}, not uncertain; only uncertain jobs wait for an "
                "operator's decision"
            )
        now = utcnow()
        note = message or f"operator chose {action}"
        if action == "reprint":
            job.next_attempt_at = None
            job.expires_at = max(job.expires_at, now + timedelta(seconds=job.ttl_s))
            job_repo.transition(
                s, job, JobState.QUEUED, source="operator", reason="reprint", message=note, now=now
            )
            out = await cloud.dispatcher.prepare(s, job, now, "operator")
        elif action == "done":
            job_repo.transition(
                s, job, JobState.SUCCEEDED, source="operator", reason="operator", message=note
            )
        else:
            job_repo.transition(
                s, job, JobState.FAILED, source="operator", reason="operator", message=note
            )
        await job_repo.commit(s, cloud.hub)
        result = (await to_out(s, [job]))[0]
    if out is not None:
        await cloud.dispatcher.send(out)
    return result
