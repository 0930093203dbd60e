"""Device credentials on the blob routes the agent calls (``GET``/``PUT /api/v1/blobs/…``).

The capability tokens stay what authorises a transfer: a read ``token`` (one blob, minutes)
or a job's upload ``grant`` (one job, while it runs) — unforgeable, short-lived and bound to
what they name, they work without device credentials as before. Device credentials (HTTP
Basic ``device_id:secret``) are accepted alongside them:

- with a grant, they must be the credentials of the device the job is assigned to (a grant
  copied off one device is useless on another device's credentials): 403 otherwise;
- with a read token, they are checked (a wrong or revoked secret is a 401) and nothing more;
- alone, on ``GET``, they read the blobs of the jobs assigned to that device and not yet
  finished (a ``print_document``'s PDF), nothing else (403); ``PUT`` still needs a grant.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import select

from cloud import audit
from cloud.api.auth_deps import basic_scheme, client_ip
from cloud.api.deps import SessionsDep, SettingsDep
from cloud.auth.principal import Principal, PrincipalKind
from cloud.auth.resolve import Presented, SessionPolicy, resolve
from cloud.blobs import BlobTokenInvalid, GrantInvalid
from cloud.db import jobs as job_repo
from cloud.db.models import Job, utcnow
from cloud.errors import Unauthenticated
from cloud.schemas import ErrorBody
from protocols.jobs import JobKind, JobState

#: OpenAPI: device credentials are optional here (the token or grant alone is enough)
OPTIONAL_DEVICE_SECURITY: dict[str, Any] = {"security": [{}]}  # added to [{"HTTPBasic": []}]
DEVICE_AUTH_DOC: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorBody,
        "description": "device credentials were sent and are wrong or revoked (code says which)",
    }
}

#: a job whose inputs its device may read: it holds it, or it is about to
READABLE_STATES = (JobState.DISPATCHED, JobState.ACCEPTED, JobState.RUNNING)


async def _optional_device(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    _basic: Annotated[object, Depends(basic_scheme)] = None,
) -> Principal | None:
    header = request.headers.get("authorization") or ""
    if not header.lower().startswith("basic "):
        return None  # no device credentials: the token or grant decides alone
    presented = Presented(header, None, None, request.method, client_ip(request))
    policy = SessionPolicy(settings.session_idle_s, settings.session_absolute_s)
    try:
        async with sessions() as s:
            caller = await resolve(s, presented, policy, utcnow())
    except Unauthenticated as exc:
        await audit.write(
            sessions,
            audit.AuditRecord(
                actor="anonymous",
                action="auth.failed",
                result=audit.Result.DENIED,
                target=f"{request.method} {request.url.path}"[:200],
                ip=client_ip(request),
                message=str(exc),
            ),
        )
        raise
    return caller if caller is not None and caller.kind is PrincipalKind.DEVICE else None


#: the calling device, when the request carries device credentials (checked), else None
OptionalDevice = Annotated[Principal | None, Depends(_optional_device)]


async def check_grant_holder(sessions: SessionsDep, job_id: str, device: Principal) -> None:
    """A grant presented with device credentials must be for a job of that device."""
    async with sessions() as s:
        job = await job_repo.load(s, job_id)
    if job is None or job.assigned_device_id != device.name:
        raise GrantInvalid(
            f"the upload grant is for job {job_id}, which is not assigned to device "
            f"{device.name}; use the grant of one of this device's own jobs"
        )


async def check_device_may_read(sessions: SessionsDep, device: Principal, sha256: str) -> None:
    """Without a token, a device reads only the documents of the jobs it holds."""
    async with sessions() as s:
        params = (
            await s.scalars(
                select(Job.params).where(
                    Job.assigned_device_id == device.name,
                    Job.state.in_(READABLE_STATES),
                    Job.kind == JobKind.PRINT_DOCUMENT,
                )
            )
        ).all()
    if not any(isinstance(p, dict) and p.get("document") == sha256 for p in params):
        raise BlobTokenInvalid(
            f"device {device.name} holds no job that prints blob {sha256}; a device reads "
            "only the documents of its own dispatched jobs (or use the job's fetch URL)"
        )
