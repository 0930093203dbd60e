"""Job operations behind the REST API: create (idempotent), read, wait, cancel, resolve."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from cloud import job_access
from cloud.auth.principal import Principal
from cloud.blobs import BlobStore
from cloud.commands import Commands, Outgoing
from cloud.db import devices as device_repo
from cloud.db import job_queries
from cloud.db import jobs as job_repo
from cloud.db import sites as site_repo
from cloud.db.models import Device, Job, utcnow
from cloud.db.session import engine_of
from cloud.dispatcher import Dispatcher
from cloud.errors import Conflict, NotFound, Unprocessable
from cloud.hub import ChangeHub
from cloud.job_access import JobLike
from cloud.job_intake import JobIntake
from cloud.schemas import DeviceTarget, JobCreate, JobOut, SiteTarget
from fleet.cancel import CancelAction, decide_cancel
from fleet.routing import device_target_refusal, site_target_refusal
from protocols.jobs import (
    CAPABILITY_FOR_KIND,
    FETCH_KINDS,
    PARAMS_FOR_KIND,
    UPLOAD_KINDS,
    Capability,
    JobKind,
    JobState,
)
from protocols.pdf_check import pdf_problem

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
    for filled_in, kinds in (("uploads", UPLOAD_KINDS), ("fetch", FETCH_KINDS)):
        if kind in kinds and valid.pop(filled_in, None) is not None:
            raise Unprocessable(
                f"params.{filled_in} of a {kind.value} job is filled in by the cloud when it "
                "sends the job; leave it out"
            )
    return valid


async def check_document(store: BlobStore, kind: JobKind, params: dict[str, Any]) -> None:
    """A ``print_document`` job must name a stored, sound PDF: refuse it now, not at the kiosk
    (where a damaged one fails the job after a citizen waited for it)."""
    if kind not in FETCH_KINDS:
        return
    sha256 = str(params["document"])
    if not store.exists(sha256):
        raise NotFound(
            f"params.document names blob {sha256}, which is not stored: upload the PDF first "
            f"(POST /api/v1/blobs/{sha256}/tokens with op=put, then PUT it)"
        )
    problem = await asyncio.to_thread(_pdf_problem_of, store, sha256)
    if problem is not None:
        raise Unprocessable(
            f"params.document names blob {sha256}, which is not a PDF an A4 printer can be "
            f"given: {problem}; upload the document again, unencrypted and complete"
        )


def _pdf_problem_of(store: BlobStore, sha256: str) -> str | None:
    with store.open(sha256) as fh:
        data = fh.read()
    if not data.startswith(b"%PDF-"):
        return "it does not start with %PDF-"
    return pdf_problem(data)


def request_hash(req: JobCreate, params: dict[str, Any]) -> str:
    canon = req.model_dump(mode="json", exclude_none=True) | {"params": params}
    return hashlib.sha256(json.dumps(canon, sort_keys=True).encode()).hexdigest()


def _replay(existing: Job, digest: str, site: str, caller: Principal) -> Job:
    if not caller.sees(site):  # another subtree's key: say nothing about its job
        raise Conflict(
            f"idempotency key {existing.idempotency_key!r} is already taken; use a new key"
        )
    if existing.request_hash != digest:
        raise Conflict(
            f"idempotency key {existing.idempotency_key!r} was already used for job "
            f"{existing.id} with a different body; send the same body to get that job back, "
            "or use a new key for a new job"
        )
    return existing


async def _target(
    s: AsyncSession, req: JobCreate, needed: Capability, caller: Principal
) -> tuple[Device | None, int | None, int, str]:
    """(target device, target site, site of the job, its path); refuses targets that cannot
    run it, and those outside the caller's scope as if they did not exist."""
    if isinstance(req.target, DeviceTarget):
        device = await device_repo.require(s, req.target.device_id)
        path = (await site_repo.paths(s, {device.site_id})).get(device.site_id, "")  # cached
        if not caller.sees(path):
            raise device_repo.not_found(device.id)
        why = device_target_refusal(device.id, device_repo.peripherals(device), needed, req.kind)
        if why:
            raise Conflict(why)
        return device, None, device.site_id, path
    assert isinstance(req.target, SiteTarget)
    if req.target.capability not in (None, needed):
        raise Unprocessable(
            f"a {req.kind.value} job needs capability {needed.value!r}, not "
            f"{req.target.capability!r}; leave capability out or set it to {needed.value!r}"
        )
    site = await site_repo.require(s, req.target.site)
    if not caller.sees(site.path):
        raise site_repo.not_found(site.path)
    devices = await device_repo.peripherals_at_site(s, site.id)
    why = site_target_refusal(site.path, devices, needed, req.kind)
    if why:
        raise Conflict(why)
    return None, site.id, site.id, site.path


async def _replayed(s: AsyncSession, existing: Job, digest: str, caller: Principal) -> JobOut:
    site = await job_access.job_site(s, existing)
    return (await to_out(s, [_replay(existing, digest, site, caller)]))[0]


async def to_out(s: AsyncSession | AsyncConnection, jobs: Sequence[JobLike]) -> list[JobOut]:
    """Response models; site paths come from a per-process cache (one query on a miss)."""
    ids = {j.site_id for j in jobs} | {j.target_site_id for j in jobs if j.target_site_id}
    paths = await site_repo.paths(s, ids)
    return [
        JobOut(
            id=j.id,
            kind=j.kind,
            state=JobState(j.state),
            target=(
                {"device_id": j.target_device_id}
                if j.target_device_id
                else {"site": paths.get(j.target_site_id or 0, ""), "capability": j.capability}
            ),
            device_id=j.assigned_device_id,
            site=paths.get(j.site_id, ""),
            params=j.params,
            attempts=j.attempts,
            max_attempts=j.max_attempts,
            ttl_s=j.ttl_s,
            expires_at=j.expires_at,
            next_attempt_at=j.next_attempt_at,
            cancel_requested_at=j.cancel_requested_at,
            reason=j.reason,
            message=j.message,
            result=j.result,
            idempotency_key=j.idempotency_key,
            created_at=j.created_at,
            updated_at=j.updated_at,
            purpose=j.purpose,
        )
        for j in jobs
    ]


class JobService:
    """What the REST API does with jobs."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hub: ChangeHub,
        dispatcher: Dispatcher,
        commands: Commands,
        store: BlobStore,
        *,
        default_ttl_s: int,
        default_max_attempts: int,
        intake: JobIntake,
    ) -> None:
        self._sessions = sessions
        self._engine = engine_of(sessions)
        self._hub = hub
        self._dispatcher = dispatcher
        self._commands = commands
        self._store = store
        self._ttl_s = default_ttl_s
        self._max_attempts = default_max_attempts
        self.intake = intake  # the API's back-pressure (429); the kiosk's jobs skip it

    def _new(self, req: JobCreate, params: dict[str, Any], digest: str, now: datetime) -> Job:
        ttl_s = req.ttl_s or self._ttl_s
        return Job(
            id=uuid.uuid4().hex,
            idempotency_key=req.idempotency_key,
            request_hash=digest,
            kind=req.kind.value,
            capability=CAPABILITY_FOR_KIND[req.kind],
            state=JobState.QUEUED.value,
            params=params,
            attempts=0,
            max_attempts=req.max_attempts or self._max_attempts,
            ttl_s=ttl_s,
            expires_at=now + timedelta(seconds=ttl_s),
            sends=0,
            purpose=req.purpose or "",
            created_at=now,
            updated_at=now,
        )

    async def create(self, req: JobCreate, caller: Principal) -> tuple[JobOut, bool]:
        """Store a job (``queued``), dispatched at once if a device can take it; returns (job,
        created), a replayed idempotency key's the existing job. The target must be in
        ``caller``'s scope; the audit row commits with the job."""
        params = validate_params(req.kind, req.params)
        await check_document(self._store, req.kind, params)
        digest = request_hash(req, params)
        async with self._sessions() as s:
            key = req.idempotency_key
            if key and (existing := await job_repo.by_idempotency_key(s, key)):
                return await _replayed(s, existing, digest, caller), False
            now = utcnow()
            job = self._new(req, params, digest, now)
            # ``device`` stays referenced until the dispatch below: the session's identity map
            # holds rows weakly, and a dropped device would be read again (one more SELECT,
            # whose autoflush turns the job's INSERT plus its dispatch into INSERT + UPDATE)
            device, job.target_site_id, job.site_id, path = await _target(
                s, req, CAPABILITY_FOR_KIND[req.kind], caller
            )
            job.target_device_id = device.id if device is not None else None
            s.add(job)
            job_repo.created(s, job, "api")
            target = {"target": req.target.model_dump(mode="json", exclude_none=True)}
            job_access.record(s, caller, "job.create", job, path, detail=target)
            try:
                # no autoflush: the job's INSERT waits for the commit, so a key a concurrent
                # request took meanwhile fails here and not in prepare's site query (a 500)
                with s.no_autoflush:
                    out = await self._dispatcher.prepare(s, job, now, "api")
                await job_repo.commit(s, self._hub)
            except IntegrityError:  # the same key committed by a concurrent request
                await s.rollback()
                job_repo.discard_changes(s)
                existing = await job_repo.by_idempotency_key(s, key or "")
                if existing is None:
                    raise
                return await _replayed(s, existing, digest, caller), False
            result = (await to_out(s, [job]))[0]
        if out is not None:
            await self._commands.send(out)
        return result, True

    async def get(self, job_id: str, caller: Principal, wait_s: float = 0) -> JobOut:
        """The job; with ``wait_s`` once it settles or the wait is over. Read with Core: no ORM
        session for a read, twice per long-poll (issue 17)."""
        async with self._hub.subscribe(f"job:{job_id}") as sub:
            async with self._engine.connect() as conn:
                job = await job_repo.require_row(conn, job_id)
                await job_access.require_visible(conn, job, caller)
                if wait_s <= 0 or JobState(job.state) in SETTLED:
                    return (await to_out(conn, [job]))[0]
            # no connection is held while waiting: SQLite has one for the whole process
            await sub.wait_for(lambda state: JobState(state) in SETTLED, wait_s)
        async with self._engine.connect() as conn:
            job = await job_repo.require_row(conn, job_id)
            return (await to_out(conn, [job]))[0]

    async def list_jobs(
        self,
        *,
        state: JobState | None,
        device: str | None,
        site: str | None,
        kind: JobKind | None,
        limit: int,
        offset: int,
        scope: str,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> tuple[list[JobOut], int]:
        async with self._sessions() as s:
            rows, total = await job_queries.page(
                s,
                state=state,
                device=device,
                site=site,
                kind=kind,
                since=since,
                until=until,
                limit=limit,
                offset=offset,
                scope=scope,
            )
            return await to_out(s, rows), total

    async def events(self, job_id: str, caller: Principal) -> list[dict[str, Any]]:
        async with self._sessions() as s:
            await job_access.require_visible(s, await job_repo.require(s, job_id), caller)
            return await job_repo.events(s, job_id)

    async def cancel(self, job_id: str, caller: Principal) -> tuple[JobOut, bool]:
        """Cancel a job; returns (job, pending). A job its device may hold is canceled only
        when the device confirms (``pending``: ``job.cancel`` was sent, the answer awaited)."""
        async with self._sessions() as s:
            job = await job_repo.require(s, job_id, for_update=True)
            path = await job_access.require_visible(s, job, caller)
            decision = decide_cancel(job_id, JobState(job.state), job.assigned_device_id)
            if decision.action is CancelAction.REFUSE:
                raise Conflict(decision.why)
            pending = decision.action is CancelAction.ASK_DEVICE
            if pending:
                job.cancel_requested_at = job.cancel_requested_at or utcnow()
            else:
                job_repo.transition(
                    s,
                    job,
                    JobState.CANCELED,
                    source="api",
                    reason="canceled",
                    message="canceled via API",
                )
            note = "asked the device to cancel" if pending else "canceled"
            job_access.record(s, caller, "job.cancel", job, path, note)
            await job_repo.commit(s, self._hub)
            result = (await to_out(s, [job]))[0]
        if pending and job.assigned_device_id is not None:
            await self._commands.send_cancel(job.assigned_device_id, job_id)
        return result, pending

    async def resolve(
        self, job_id: str, caller: Principal, action: str, message: str = ""
    ) -> JobOut:
        """An operator settles an ``uncertain`` job: print again, or record it done or failed."""
        out: Outgoing | None = None
        async with self._sessions() as s:
            job = await job_repo.require(s, job_id, for_update=True)
            path = await job_access.require_visible(s, job, caller)
            if job.state != JobState.UNCERTAIN:
                raise Conflict(
                    f"job {job_id} is {job.state}, not uncertain; only uncertain jobs wait for "
                    "an operator's decision"
                )
            now = utcnow()
            note = message or f"operator chose {action}"
            if action == "reprint":
                job.next_attempt_at = job.cancel_requested_at = None
                job.expires_at = max(job.expires_at, now + timedelta(seconds=job.ttl_s))
                job_repo.transition(
                    s,
                    job,
                    JobState.QUEUED,
                    source="operator",
                    reason="reprint",
                    message=note,
                    now=now,
                )
                out = await self._dispatcher.prepare(s, job, now, "operator")
            else:
                new = JobState.SUCCEEDED if action == "done" else JobState.FAILED
                job_repo.transition(
                    s, job, new, source="operator", reason="operator", message=note, now=now
                )
            job_access.record(s, caller, "job.resolve", job, path, note, {"action": action})
            await job_repo.commit(s, self._hub)
            result = (await to_out(s, [job]))[0]
        if out is not None:
            await self._commands.send(out)
        return result
