"""``/api/v1/blobs``: large payloads (PDFs, scans, floor plans) by sha256, over HTTP not MQTT.

The operator side (or the cloud itself, when it sends a job naming a blob) asks for a token,
then hands the token URL to whoever moves the bytes. Minting a token needs credentials: a put
token ``blobs.write``, a get token ``jobs.read``. The token URLs themselves are capabilities
(short-lived, for one operation on one blob), as are the upload grants the cloud gives a
device with a scan or snapshot job: ``PUT``/``GET`` on a blob take a token or grant, and
credentials sent with them only name the actor of the ``blob.upload`` audit row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import FileResponse
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit
from cloud import blobs as blob_store
from cloud.api.auth_deps import OptionalCaller, ensure
from cloud.api.blob_device import DEVICE_AUTH_DOC, as_device, check_device_may_read
from cloud.api.callers import JobsReader
from cloud.api.deps import BlobStoreDep, SessionsDep, SettingsDep
from cloud.api.errors import error_responses
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.db.models import Job, Site
from cloud.db.session import engine_of
from cloud.schemas import BlobOut, BlobTokenIn, BlobTokenOut
from cloud.settings import Settings
from fleet.access import Permission
from protocols.jobs import JobState

router = APIRouter(
    prefix="/api/v1/blobs",
    tags=["blobs"],
    responses=error_responses(422, 500),
    route_class=StrictJsonRoute,
)

Sha256 = Annotated[
    str, Path(pattern=blob_store.SHA256_PATTERN, description="sha256 of the blob, lowercase hex")
]
#: ``<expiry>.<base64url HMAC-SHA256>`` (cloud/blobs.py make_token)
TOKEN_PATTERN = r"^[0-9]{1,20}\.[A-Za-z0-9_-]{43}$"
#: ``<job id>.<expiry>.<base64url HMAC-SHA256>`` (cloud/blobs.py make_grant)
GRANT_PATTERN = r"^[0-9a-f]{32}\.[0-9]{1,20}\.[A-Za-z0-9_-]{43}$"
Token = Annotated[str | None, Query(pattern=TOKEN_PATTERN, description="from POST .../tokens")]
Grant = Annotated[
    str | None,
    Query(
        pattern=GRANT_PATTERN,
        description="a snapshot/scan/print_receipt job's params.uploads.grant",
    ),
]
#: What a PUT may carry: any bytes (the sha256 is checked, not the type); the kinds named
#: are what the cloud and the agents store.
_BLOB_BODY = {"schema": {"type": "string", "format": "binary"}}
BLOB_REQUEST_BODY = {
    "required": True,
    "description": "the blob's bytes, streamed; they must hash to the sha256 in the path",
    "content": {
        media: _BLOB_BODY
        for media in ("application/octet-stream", "application/pdf", "image/jpeg", "image/png")
    },
}
#: Job states in which a job's upload grant is honoured.
GRANT_STATES = frozenset({JobState.DISPATCHED, JobState.ACCEPTED, JobState.RUNNING})


def _check(settings: Settings, token: str | None, sha256: str, op: blob_store.BlobOp) -> None:
    if not token:
        raise blob_store.BlobTokenInvalid(
            f"{op} on a blob needs a token: ask POST /api/v1/blobs/{sha256}/tokens for one "
            "and pass it as ?token=..."
        )
    secret = settings.secret_key.get_secret_value()
    blob_store.check_token(secret, token, sha256, op, time.time())


@dataclass(frozen=True)
class GrantedJob:
    """The job whose grant authorises an upload, and its site (the audit row's)."""

    id: str
    site: str


#: a grant's job, read once per proof upload: built once, run on a bare connection (issue 17)
_GRANT_ROW = (
    select(Job.state, Job.assigned_device_id, Site.path)
    .outerjoin(Site, Site.id == Job.site_id)
    .where(Job.id == bindparam("job_id"))
)


async def check_upload_grant(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    grant: str,
    caller: Principal | None,
) -> GrantedJob:
    """The job of a valid grant whose job may still upload; else ``GrantInvalid`` (403).

    Device credentials sent with a grant must be those of the job's device (a grant copied off
    one device is useless on another's). One statement reads all it takes (issue 17)."""
    secret = settings.secret_key.get_secret_value()
    job_id = blob_store.check_grant(secret, grant, time.time())
    async with engine_of(sessions).connect() as conn:
        row = (await conn.execute(_GRANT_ROW, {"job_id": job_id})).first()
    state = JobState(row.state) if row is not None else None
    if row is None or state not in GRANT_STATES:
        raise blob_store.GrantInvalid(
            f"job {job_id} is {state.value if state else 'unknown'}: only a dispatched, "
            "accepted or running job may upload with its grant"
        )
    device = as_device(caller)
    if device is not None and row.assigned_device_id != device.name:
        raise blob_store.GrantInvalid(
            f"the upload grant is for job {job_id}, which is not assigned to device "
            f"{device.name}; use the grant of one of this device's own jobs"
        )
    return GrantedJob(job_id, row.path or "")


@router.post(
    "/{sha256}/tokens",
    response_model=BlobTokenOut,
    responses=error_responses(400, 401, 403, 413),
)
async def create_token(
    sha256: Sha256,
    body: BlobTokenIn,
    caller: JobsReader,
    settings: SettingsDep,
    sessions: SessionsDep,
    request: Request,
) -> BlobTokenOut:
    """A short-lived token (default 300 s, at most 3600 s) for one operation on one blob:
    ``put`` needs ``blobs.write``, ``get`` needs ``jobs.read``."""
    if body.op == "put":
        await ensure(caller, Permission.BLOBS_WRITE, sessions, request)
    secret = settings.secret_key.get_secret_value()
    token = blob_store.make_token(secret, sha256, body.op, body.ttl_s, time.time())
    url = request.url_for("put_blob" if body.op == "put" else "get_blob", sha256=sha256)
    return BlobTokenOut(
        token=token,
        url=str(url.include_query_params(token=token)),
        expires_at=datetime.fromtimestamp(blob_store.token_expiry(token), UTC),
    )


@router.put(
    "/{sha256}",
    status_code=status.HTTP_201_CREATED,
    response_model=BlobOut,
    # ``{}``: credentials are optional here (the token or grant authorises the upload)
    openapi_extra={"requestBody": BLOB_REQUEST_BODY, "security": [{}]},
    responses={
        **DEVICE_AUTH_DOC,
        200: {"description": "the blob was already stored; the body was not read"},
        **error_responses(
            403,
            507,
            described={
                413: "larger than KFLEET_BLOB_MAX_BYTES",
                422: "the body does not hash to the sha256 in the path",
            },
        ),
    },
)
async def put_blob(
    sha256: Sha256,
    request: Request,
    response: Response,
    settings: SettingsDep,
    sessions: SessionsDep,
    store: BlobStoreDep,
    caller: OptionalCaller,
    token: Token = None,
    grant: Grant = None,
) -> BlobOut:
    """Upload the request body as blob ``sha256``; streamed, verified, stored atomically.

    Authorised by a put ``token`` for this blob, or by the ``grant`` of a running
    snapshot/scan job (or print_receipt, for its proof); credentials are optional (they name
    the audit row's actor; a device's must be the grant's job's device:
    cloud/api/blob_device.py)."""
    job = None
    if grant and not token:
        job = await check_upload_grant(settings, sessions, grant, caller)
    else:
        _check(settings, token, sha256, "put")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > store.max_bytes:
        raise blob_store.BlobTooLarge(
            f"blob {sha256} is {length} bytes, more than the {store.max_bytes} this cloud "
            "accepts: send a smaller file (compress or split it), or raise KFLEET_BLOB_MAX_BYTES"
        )
    info = await store.put(sha256, request.stream())
    if not info.created:
        response.status_code = status.HTTP_200_OK
    await _audit_upload(sessions, request, caller, info, job)
    return BlobOut(sha256=info.sha256, size=info.size, created=info.created)


@router.get(
    "/{sha256}",
    response_class=FileResponse,
    # ``{}``: credentials are optional here (the token, or a device's own job, authorises it)
    openapi_extra={"security": [{}]},
    responses={
        200: {"content": {"application/octet-stream": {}}},
        **DEVICE_AUTH_DOC,
        **error_responses(403, described={404: "no such blob"}),
    },
)
async def get_blob(
    sha256: Sha256,
    settings: SettingsDep,
    sessions: SessionsDep,
    store: BlobStoreDep,
    caller: OptionalCaller,
    token: Token = None,
) -> FileResponse:
    """The blob's bytes; ``ETag`` is its sha256 (blobs never change).

    Authorised by a get ``token``, or by device credentials for a document of a job that
    device holds (cloud/api/blob_device.py)."""
    device = as_device(caller)
    if device is not None and not token:
        await check_device_may_read(sessions, device, sha256)
    else:
        _check(settings, token, sha256, "get")
    return FileResponse(
        store.locate(sha256),
        media_type="application/octet-stream",
        headers={"ETag": f'"{sha256}"', "Cache-Control": "private, max-age=31536000, immutable"},
    )


async def _audit_upload(
    sessions: async_sessionmaker[AsyncSession],
    request: Request,
    caller: Principal | None,
    info: blob_store.BlobInfo,
    job: GrantedJob | None,
) -> None:
    """The ``blob.upload`` row (its own transaction: the blob is a file, not a row). Site:
    the job's, for an upload under a job's grant."""
    await audit.write(
        sessions,
        audit.AuditRecord(
            actor=caller.actor if caller else "anonymous",
            action="blob.upload",
            result=audit.Result.OK,
            target=f"blob:{info.sha256}",
            site=job.site if job else "",
            ip=caller.ip if caller else (request.client.host if request.client else ""),
            message="stored" if info.created else "already stored",
            detail={
                "size": info.size,
                "via": f"grant of job {job.id}" if job else "put token",
            },
        ),
    )
